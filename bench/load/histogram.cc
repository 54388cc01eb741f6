#include "bench/load/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace corsd::bench {

// Index layout: for ns < 2^(kSubBits+1) the index is ns itself. Otherwise,
// with shift = msb(ns) - kSubBits (>= 1), ns >> shift lies in
// [2^kSubBits, 2^(kSubBits+1)) and the index is (shift << kSubBits) +
// (ns >> shift), which continues the exact range without gaps.
int LatencyHistogram::BucketOf(uint64_t ns) {
  constexpr uint64_t kLimit = (uint64_t{1} << kMaxBits) - 1;
  if (ns > kLimit) ns = kLimit;
  if (ns < (uint64_t{2} << kSubBits)) return static_cast<int>(ns);
  const int msb = 63 - std::countl_zero(ns);
  const int shift = msb - kSubBits;
  return (shift << kSubBits) + static_cast<int>(ns >> shift);
}

uint64_t LatencyHistogram::BucketLow(int bucket) {
  if (bucket < (2 << kSubBits)) return static_cast<uint64_t>(bucket);
  const int shift = (bucket >> kSubBits) - 1;
  const uint64_t mantissa = static_cast<uint64_t>(bucket - (shift << kSubBits));
  return mantissa << shift;
}

uint64_t LatencyHistogram::BucketHigh(int bucket) {
  if (bucket < (2 << kSubBits)) return static_cast<uint64_t>(bucket);
  const int shift = (bucket >> kSubBits) - 1;
  return BucketLow(bucket) + (uint64_t{1} << shift) - 1;
}

void LatencyHistogram::Record(uint64_t ns) {
  if (ns >> kMaxBits) ++clamped_;
  ++counts_[BucketOf(ns)];
  ++count_;
  min_ = std::min(min_, ns);
  max_ = std::max(max_, ns);
  sum_ += static_cast<double>(ns);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  clamped_ += other.clamped_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

double LatencyHistogram::mean() const {
  return count_ ? sum_ / static_cast<double>(count_) : 0.0;
}

uint64_t LatencyHistogram::Quantile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * count_));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const uint64_t mid = BucketLow(i) + (BucketHigh(i) - BucketLow(i)) / 2;
      return std::clamp(mid, min(), max_);
    }
  }
  return max_;
}

}  // namespace corsd::bench
