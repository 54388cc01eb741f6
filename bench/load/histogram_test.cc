#include "bench/load/histogram.h"

#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace corsd::bench {
namespace {

TEST(LatencyHistogramTest, BucketsTileTheRangeWithoutGaps) {
  uint64_t expected_low = 0;
  for (int b = 0; b < LatencyHistogram::kBuckets; ++b) {
    ASSERT_EQ(LatencyHistogram::BucketLow(b), expected_low) << "bucket " << b;
    ASSERT_GE(LatencyHistogram::BucketHigh(b), LatencyHistogram::BucketLow(b));
    ASSERT_EQ(LatencyHistogram::BucketOf(LatencyHistogram::BucketLow(b)), b);
    ASSERT_EQ(LatencyHistogram::BucketOf(LatencyHistogram::BucketHigh(b)), b);
    expected_low = LatencyHistogram::BucketHigh(b) + 1;
  }
  EXPECT_EQ(expected_low, uint64_t{1} << LatencyHistogram::kMaxBits);
}

TEST(LatencyHistogramTest, RelativeBucketWidthIsAtMostOneIn64) {
  for (int b = 128; b < LatencyHistogram::kBuckets; ++b) {
    const double low = LatencyHistogram::BucketLow(b);
    const double width = LatencyHistogram::BucketHigh(b) - low + 1;
    ASSERT_LE(width / low, 1.0 / 64) << "bucket " << b;
  }
}

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 100; ++v) h.Record(v);
  EXPECT_EQ(h.count(), 100u);
  EXPECT_EQ(h.Quantile(0.5), 50u);
  EXPECT_EQ(h.Quantile(0.99), 99u);
  EXPECT_EQ(h.Quantile(1.0), 100u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 100u);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
}

TEST(LatencyHistogramTest, QuantilesWithinBucketPrecisionOfExactOnes) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(11.0, 1.0);  // ~60 us median
  std::vector<uint64_t> samples;
  LatencyHistogram h;
  for (int i = 0; i < 200000; ++i) {
    const uint64_t v = static_cast<uint64_t>(dist(rng));
    samples.push_back(v);
    h.Record(v);
  }
  std::sort(samples.begin(), samples.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const double exact = samples[static_cast<size_t>(q * samples.size()) - 1];
    EXPECT_NEAR(h.Quantile(q), exact, exact / 64) << "q=" << q;
  }
}

TEST(LatencyHistogramTest, MergeEqualsRecordingEverythingInOne) {
  LatencyHistogram a, b, all;
  for (uint64_t v = 1000; v < 50000; v += 37) {
    (v % 2 ? a : b).Record(v);
    all.Record(v);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  for (double q : {0.1, 0.5, 0.99}) EXPECT_EQ(a.Quantile(q), all.Quantile(q));
}

TEST(LatencyHistogramTest, HugeValuesAreClampedAndCounted) {
  LatencyHistogram h;
  h.Record(uint64_t{1} << 50);
  EXPECT_EQ(h.clamped(), 1u);
  EXPECT_EQ(h.count(), 1u);
  EXPECT_EQ(h.max(), uint64_t{1} << 50);
}

TEST(LatencyHistogramTest, EmptyHistogramReportsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.Quantile(0.99), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
}

}  // namespace
}  // namespace corsd::bench
