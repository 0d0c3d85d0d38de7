// Linked when the library is built without CUDA: the cuda backend is never usable.
#include "atc/device.hpp"
#include "atc/error.hpp"
#include "atc/gpu_context.hpp"
#include "../live/live_device.hpp"
#include "../sweep/sweep_plan.hpp"
#include "prepared.hpp"

namespace atc::detail {

bool cuda_built() { return false; }
bool cuda_device_usable() { return false; }

void run_cuda(const PreparedBatch&, const Config&, OutputColumns, const ComputeOptions&) {
  throw BackendUnavailable("this build of atc has no CUDA backend (nvcc was not found at build time)");
}

std::size_t run_cuda_sweep(const PreparedBatch&, std::span<const SweepConfig>, const SweepOptions&, const SweepSink&,
                           int&) {
  throw BackendUnavailable("this build of atc has no CUDA backend (nvcc was not found at build time)");
}

bool cuda_host_register(const void*, std::size_t) { return false; }
void cuda_host_unregister(const void*) {}

}  // namespace atc::detail

namespace atc {

std::size_t device_workspace_bytes(const DeviceTable&, const DeviceTable*, const DeviceOutputs&) { return 0; }

std::vector<SymbolStatus> compute_device(const DeviceTable&, const DeviceTable*, std::span<const std::string>,
                                         const Config&, const ComputeOptions&, const DeviceOutputs&, void*,
                                         std::size_t, void*) {
  throw BackendUnavailable("this build of atc has no CUDA backend (nvcc was not found at build time)");
}

void* device_allocate(std::size_t) {
  throw BackendUnavailable("this build of atc has no CUDA backend (nvcc was not found at build time)");
}
void device_free(void*) noexcept {}
void device_to_host(void*, const void*, std::size_t) {
  throw BackendUnavailable("this build of atc has no CUDA backend (nvcc was not found at build time)");
}
int device_of(const void*) { return -1; }

}  // namespace atc

namespace atc::detail::live {

struct DeviceStates::Impl {};

DeviceStates::DeviceStates(const Params&) {
  throw BackendUnavailable("this build of atc has no CUDA backend (nvcc was not found at build time)");
}
DeviceStates::~DeviceStates() = default;
void DeviceStates::upload(std::span<const SymbolState>) {}
void DeviceStates::download(std::span<SymbolState>) {}
double* DeviceStates::close_input() { return nullptr; }
double* DeviceStates::src_input() { return nullptr; }
std::uint8_t* DeviceStates::take_input() { return nullptr; }
DeviceBarColumns DeviceStates::step(bool, bool) { return {}; }
std::size_t DeviceStates::size() const { return 0; }
void DeviceStates::time_kernel(bool) {}
double DeviceStates::last_kernel_ms() const { return 0.0; }

}  // namespace atc::detail::live

// Without CUDA a context holds nothing.
namespace atc {
namespace cuda::streaming {
class PipelineCache {};
PipelineCache& pipelines_of(GpuContext& context) { return *context.pipelines_; }
}  // namespace cuda::streaming

GpuContext::GpuContext() : pipelines_(std::make_unique<cuda::streaming::PipelineCache>()) {}
GpuContext::~GpuContext() = default;
void GpuContext::release() {}
GpuContext::Footprint GpuContext::footprint() const { return {}; }
GpuContext& default_gpu_context() {
  static GpuContext context;
  return context;
}
}  // namespace atc
