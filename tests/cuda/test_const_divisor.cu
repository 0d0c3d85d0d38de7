// ConstDivisor (src/cuda/chains.cuh) against the device's own division: for every
// divisor the fused kernel uses at lengths 1..2000 and a sample up to its longest
// supported length (L, the WMA weight sum, LSMA's slope denominator), and numerators
// spread over the whole exponent range the fast path takes plus the ones it hands to
// `/`, divide(a) must equal a / d bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "cuda/chains.cuh"
#include "cuda/check.hpp"
#include "cuda/device_buffer.hpp"
#include "cuda/fused.hpp"
#include "gpu_support.hpp"

namespace atc::test {
namespace {

struct Mismatch {
  unsigned long long count;
  double divisor, numerator, quotient, expected;
};

__global__ void compare_divisions(const double* divisors, int divisor_count, const double* numerators,
                                  int numerator_count, Mismatch* mismatch) {
  const int d_index = static_cast<int>(blockIdx.y);
  if (d_index >= divisor_count) return;
  const cuda::ConstDivisor<double> divisor(divisors[d_index]);
  for (int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x); i < numerator_count;
       i += static_cast<int>(gridDim.x * blockDim.x)) {
    const double a = numerators[i];
    const double q = divisor.divide(a), expected = a / divisors[d_index];
    const bool same = __double_as_longlong(q) == __double_as_longlong(expected) || (q != q && expected != expected);
    if (!same && atomicAdd(&mismatch->count, 1ull) == 0) {
      mismatch->divisor = divisors[d_index];
      mismatch->numerator = a;
      mismatch->quotient = q;
      mismatch->expected = expected;
    }
  }
}

TEST(ConstDivisor, BitIdenticalToDivision) {
  ATC_REQUIRE_GPU();
  const std::uint64_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);

  std::vector<int> lengths;
  for (int len = 1; len <= 2000; ++len) lengths.push_back(len);
  for (int len = 2001; len <= cuda::kFusedMaxLength; len += 97) lengths.push_back(len);
  lengths.push_back(cuda::kFusedMaxLength);
  std::vector<double> divisors;
  for (int len : lengths) {
    divisors.push_back(len);
    divisors.push_back(len * (len + 1.0) / 2.0);
    if (len > 1) divisors.push_back(formulas::linreg_slope_denominator(len));  // 0 at L = 1, never divided by
  }

  // Prices and window sums (1e-6 .. 1e12), random bit patterns over the fast path's
  // exponent range and beyond it, integers, and the special values.
  std::vector<double> numerators;
  std::uniform_real_distribution<double> log10_magnitude(-6.0, 12.0);
  std::uniform_int_distribution<std::uint64_t> mantissa(0, (std::uint64_t{1} << 52) - 1);
  std::uniform_int_distribution<int> exponent(1, 2046);
  for (int i = 0; i < 1 << 16; ++i) {
    const double sign = (i & 1) ? -1.0 : 1.0;
    numerators.push_back(sign * std::pow(10.0, log10_magnitude(rng)));
    const std::uint64_t bits = (static_cast<std::uint64_t>(i & 1) << 63) |
                               (static_cast<std::uint64_t>(exponent(rng)) << 52) | mantissa(rng);
    double random_bits;
    std::memcpy(&random_bits, &bits, sizeof random_bits);
    numerators.push_back(random_bits);
    numerators.push_back(static_cast<double>(static_cast<std::int64_t>(mantissa(rng) >> (i % 40))));
  }
  constexpr double kInf = std::numeric_limits<double>::infinity();
  for (double special : {0.0, -0.0, 0x1p-1074, 0x1p-900, 0x1p900, std::numeric_limits<double>::max(), kInf, -kInf,
                         std::numeric_limits<double>::quiet_NaN()})
    numerators.push_back(special);

  cuda::DeviceBuffer<double> d_divisors(divisors.size()), d_numerators(numerators.size());
  d_divisors.upload(divisors);
  d_numerators.upload(numerators);
  cuda::DeviceBuffer<Mismatch> d_mismatch(1);
  ATC_CUDA_CHECK(cudaMemset(d_mismatch.data(), 0, sizeof(Mismatch)));
  compare_divisions<<<dim3(64, static_cast<unsigned>(divisors.size())), 256>>>(
      d_divisors.data(), static_cast<int>(divisors.size()), d_numerators.data(), static_cast<int>(numerators.size()),
      d_mismatch.data());
  ATC_CUDA_CHECK(cudaGetLastError());
  ATC_CUDA_CHECK(cudaDeviceSynchronize());
  std::vector<Mismatch> mismatch(1);
  d_mismatch.download(mismatch);
  EXPECT_EQ(mismatch[0].count, 0u) << divisors.size() << " divisors x " << numerators.size()
                                   << " numerators; first: " << mismatch[0].numerator << " / " << mismatch[0].divisor
                                   << " = " << mismatch[0].expected << ", divide() gave " << mismatch[0].quotient;
  if (mismatch[0].count == 0)
    std::printf("ConstDivisor: %zu divisors x %zu numerators, all bit-identical to a / d\n", divisors.size(),
              numerators.size());
}

}  // namespace
}  // namespace atc::test
