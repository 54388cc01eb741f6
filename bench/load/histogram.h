// LatencyHistogram: a fixed-size log-linear histogram of durations in
// nanoseconds, for the load generator's percentiles (p50/p90/p99/p99.9).
//
// Buckets: values below 128 ns are exact; above, each power of two is split
// into 64 equal sub-buckets, so a reported percentile is within 1/128 (0.8%)
// of a true sample value. Values from 0 to 2^40 ns (about 18 minutes) are
// kept; larger values are clamped to the last bucket (and counted in
// clamped()). Recording is O(1) with no allocation.
//
// Thread safety: none; the load generator keeps one histogram per thread and
// merges them after the run.
#ifndef CORSD_BENCH_LOAD_HISTOGRAM_H_
#define CORSD_BENCH_LOAD_HISTOGRAM_H_

#include <array>
#include <cstdint>

namespace corsd::bench {

class LatencyHistogram {
 public:
  // Adds one sample of `ns` nanoseconds.
  void Record(uint64_t ns);

  // Adds every sample of `other`.
  void Merge(const LatencyHistogram& other);

  // Number of samples recorded.
  uint64_t count() const { return count_; }
  // Samples above the largest representable value (2^40 ns).
  uint64_t clamped() const { return clamped_; }
  // Exact smallest and largest sample; 0 when empty.
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  // Exact mean of the samples (before clamping); 0 when empty.
  double mean() const;

  // The value at quantile q (0 < q <= 1): the midpoint of the bucket holding
  // the ceil(q * count)-th smallest sample, clipped to [min(), max()]. 0 when
  // empty. q outside (0, 1] is clipped into it.
  uint64_t Quantile(double q) const;

  // Bucket arithmetic, exposed for tests: the bucket of `ns` and the
  // inclusive range of values a bucket holds.
  static int BucketOf(uint64_t ns);
  static uint64_t BucketLow(int bucket);
  static uint64_t BucketHigh(int bucket);

  static constexpr int kSubBits = 6;   // 64 sub-buckets
  static constexpr int kMaxBits = 40;  // 2^40 ns
  static constexpr int kBuckets = (kMaxBits - kSubBits + 1) << kSubBits;

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t clamped_ = 0;
  uint64_t min_ = ~uint64_t{0};
  uint64_t max_ = 0;
  double sum_ = 0;
};

}  // namespace corsd::bench

#endif  // CORSD_BENCH_LOAD_HISTOGRAM_H_
