# CTest `install_consumer` (label install), run as `cmake -P`: installs the build into a
# fresh prefix, configures and builds tests/install_consumer against it alone and runs
# the program. Variables (-D): BUILD_DIR, CONFIG, SOURCE_DIR (the consumer), WORK_DIR,
# GENERATOR, MAKE_PROGRAM, CXX_COMPILER, CXX_FLAGS, EXE_LINKER_FLAGS, PREFIX_PATH ('|'-separated extra
# prefixes, e.g. .devdeps), CUDA_ROOT (a CUDA build's toolkit), VERSION (of atc).
cmake_minimum_required(VERSION 3.24)

foreach(var BUILD_DIR SOURCE_DIR WORK_DIR GENERATOR CXX_COMPILER VERSION)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "install_test.cmake: -D${var}=... is missing")
  endif()
endforeach()
if("${CONFIG}" STREQUAL "")
  set(CONFIG Release)
endif()

set(prefix ${WORK_DIR}/prefix)
set(consumer_build ${WORK_DIR}/build)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

function(run_step what)
  execute_process(COMMAND ${ARGN} WORKING_DIRECTORY ${WORK_DIR}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${ARGN}\n${out}\n${err}")
  endif()
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

run_step("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix} --config ${CONFIG})

# What the package must hold, and nothing of it may point back at the source or build tree.
file(GLOB package_dirs LIST_DIRECTORIES true ${prefix}/lib*/cmake/atc)
list(LENGTH package_dirs n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "expected one <prefix>/lib*/cmake/atc, found: ${package_dirs}")
endif()
foreach(file ${package_dirs}/atcConfig.cmake ${package_dirs}/atcConfigVersion.cmake
             ${package_dirs}/atcTargets.cmake ${prefix}/include/atc/atc.hpp ${prefix}/include/atc/io.hpp)
  if(NOT EXISTS ${file})
    message(FATAL_ERROR "not installed: ${file}")
  endif()
endforeach()
file(GLOB package_files ${package_dirs}/*.cmake)
get_filename_component(source_root ${SOURCE_DIR}/../.. REALPATH)
get_filename_component(build_root ${BUILD_DIR} REALPATH)
foreach(file IN LISTS package_files)
  file(READ ${file} text)
  foreach(tree ${source_root} ${build_root})
    string(FIND "${text}" "${tree}/" at)
    if(NOT at EQUAL -1)
      message(FATAL_ERROR "${file} refers to ${tree}")
    endif()
  endforeach()
endforeach()

# The prefixes go in the environment (':'-separated): a ';'-list in one -D argument would
# be split into several arguments by execute_process.
string(REPLACE "|" ":" prefixes "${prefix}|${PREFIX_PATH}")
set(configure_args -E env "CMAKE_PREFIX_PATH=${prefixes}" ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${consumer_build} -G ${GENERATOR} "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}"
    -DCMAKE_BUILD_TYPE=${CONFIG} -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
    "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${EXE_LINKER_FLAGS}"
    -DATC_EXPECTED_VERSION=${VERSION}
    # Only the installed package: no user or system package registry.
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
if(NOT "${CUDA_ROOT}" STREQUAL "")
  list(APPEND configure_args -DCUDAToolkit_ROOT=${CUDA_ROOT})
endif()
run_step("configuring the consumer" ${CMAKE_COMMAND} ${configure_args})
message(STATUS "consumer configured:\n${step_output}")
run_step("building the consumer" ${CMAKE_COMMAND} --build ${consumer_build} --config ${CONFIG})

file(GLOB_RECURSE consumer_exe ${consumer_build}/atc_consumer ${consumer_build}/atc_consumer.exe)
if(NOT consumer_exe)
  message(FATAL_ERROR "the consumer built no atc_consumer under ${consumer_build}")
endif()
list(GET consumer_exe 0 consumer_exe)
run_step("running the consumer" ${consumer_exe} ${WORK_DIR}/atc_consumer.toml)
message(STATUS "consumer output: ${step_output}")
if(NOT step_output MATCHES "bars=800 average_signal_last=(-?[0-9][0-9.eE+-]*)")
  message(FATAL_ERROR "unexpected consumer output: ${step_output}")
endif()
set(last ${CMAKE_MATCH_1})
if(last LESS -1 OR last GREATER 1)
  message(FATAL_ERROR "Average_Signal ${last} outside [-1, 1]")
endif()
message(STATUS "install_consumer: ok (Average_Signal last = ${last})")
