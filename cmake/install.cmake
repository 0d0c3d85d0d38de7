# `cmake --install`: the public headers, the static libraries, the atc program (see
# cli/CMakeLists.txt) and a CMake package, so that a consumer does
#   find_package(atc CONFIG REQUIRED)
#   target_link_libraries(app PRIVATE atc::atc)   # and atc::io for CSV and config files
include(CMakePackageConfigHelpers)

set(ATC_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/atc CACHE STRING
    "Where the CMake package files of atc are installed, relative to the prefix")

set(atc_install_targets atc)
# atc_cuda is a private link dependency of atc, but both are static: consumers link it too.
if(TARGET atc_cuda)
  set_target_properties(atc_cuda PROPERTIES EXPORT_NAME cuda)
  list(APPEND atc_install_targets atc_cuda)
endif()
if(TARGET atc_io)
  set_target_properties(atc_io PROPERTIES EXPORT_NAME io)
  list(APPEND atc_install_targets atc_io)
endif()

install(TARGETS ${atc_install_targets} EXPORT atcTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/atc DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.hpp")
install(EXPORT atcTargets NAMESPACE atc:: DESTINATION ${ATC_INSTALL_CMAKEDIR})

# What atcConfig.cmake finds for the consumer.
set(ATC_CONFIG_WITH_CUDA ${ATC_WITH_CUDA})
if(TARGET atc_io)
  set(ATC_CONFIG_WITH_IO ON)
else()
  set(ATC_CONFIG_WITH_IO OFF)
endif()
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/atcConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/atcConfig.cmake
                              INSTALL_DESTINATION ${ATC_INSTALL_CMAKEDIR})
# 0.x: a minor version may change the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/atcConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/atcConfig.cmake ${PROJECT_BINARY_DIR}/atcConfigVersion.cmake
        DESTINATION ${ATC_INSTALL_CMAKEDIR})
