#include "runtime.hpp"

#include <new>
#include <string>

#include "check.hpp"

namespace atc::cuda {

void check_allocation(cudaError_t status, const char* what, std::size_t bytes) {
  if (status == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();  // not sticky: clear it so that the retry starts clean
    throw OutOfMemory(std::string(what) + " of " + std::to_string(bytes) + " bytes failed: out of memory");
  }
  if (status != cudaSuccess) throw_cuda_error(status, what, __FILE__, __LINE__);
}

DeviceGuard::DeviceGuard(int device) {
  ATC_CUDA_CHECK(cudaGetDevice(&previous_));
  ATC_CUDA_CHECK(cudaSetDevice(device));
}
DeviceGuard::~DeviceGuard() { cudaSetDevice(previous_); }

Memory::Memory(std::size_t bytes, Where where) : where_(where), bytes_(bytes) {
  if (bytes == 0) return;
  switch (where) {
    case Where::Device: check_allocation(cudaMalloc(&data_, bytes), "cudaMalloc", bytes); break;
    case Where::Pinned: check_allocation(cudaMallocHost(&data_, bytes), "cudaMallocHost", bytes); break;
    case Where::Pageable: data_ = ::operator new(bytes, std::align_val_t{kAlign}); break;
  }
}

Memory::~Memory() {
  if (data_ == nullptr) return;
  switch (where_) {  // no throwing from a destructor
    case Where::Device: cudaFree(data_); break;
    case Where::Pinned: cudaFreeHost(data_); break;
    case Where::Pageable: ::operator delete(data_, std::align_val_t{kAlign}); break;
  }
}

GraphExec GraphExec::end_capture(cudaStream_t stream) {
  cudaGraph_t graph = nullptr;
  ATC_CUDA_CHECK(cudaStreamEndCapture(stream, &graph));
  GraphExec exec;
  const cudaError_t status = cudaGraphInstantiate(&exec.exec_, graph, 0);
  cudaGraphDestroy(graph);  // the executable graph is independent of it
  ATC_CUDA_CHECK(status);
  return exec;
}

GraphExec::~GraphExec() {
  if (exec_ != nullptr) cudaGraphExecDestroy(exec_);
}

void GraphExec::launch(cudaStream_t stream) const { ATC_CUDA_CHECK(cudaGraphLaunch(exec_, stream)); }

}  // namespace atc::cuda
