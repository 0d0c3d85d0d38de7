# Sourced by demo.sh and test.sh: how to build the CUDA code on this machine.
#   gpu_usable        1 when a CUDA device answers (nvidia-smi), else 0
#   cuda_flags        CMake flags for the C++ build
# Where a GPU is usable, the CUDA code is built for it alone (native). Where none is, the
# demo leaves it out and the tests build it for one architecture (sm_90), which proves
# that it compiles in a fifth of the time of the five of a release build. ATC_CUDA=ON or
# OFF in the environment overrides the choice.
gpu_usable=0
if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then gpu_usable=1; fi
case ${ATC_CUDA:-} in
  ON) cuda_flags=(-DATC_CUDA=ON) ;;
  OFF) cuda_flags=(-DATC_CUDA=OFF) ;;
  *) if ((gpu_usable)); then cuda_flags=(-DATC_CUDA=AUTO -DATC_CUDA_ARCHITECTURES=native)
     else cuda_flags=(-DATC_CUDA=AUTO -DATC_CUDA_ARCHITECTURES=90); fi ;;
esac
