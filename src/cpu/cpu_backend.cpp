// TEMPORARY (being replaced by the fused O(1)-per-bar backend within this session).
#include "../core/prepared.hpp"

namespace atc::detail {
void run_cpu(const PreparedBatch& batch, const Config& config, OutputColumns out, int) {
  run_reference(batch, config, out);
}
}  // namespace atc::detail
