#include "bench/load/dataset.h"

#include <set>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "bench/load/requests.h"
#include "gtest/gtest.h"

namespace corsd::bench {
namespace {

TEST(DatasetTest, OriginsAreDistinctCanonicalAndAboutTwentySevenBytes) {
  absl::flat_hash_set<std::string> seen;
  size_t total = 0;
  for (uint64_t j = 0; j < 200000; ++j) {
    std::string o = OriginAt(j);
    ASSERT_TRUE(o.rfind("https://", 0) == 0) << o;
    for (char c : o) {
      ASSERT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == ':' || c == '/')
          << o;
    }
    total += o.size();
    ASSERT_TRUE(seen.insert(std::move(o)).second) << "duplicate at " << j;
  }
  const double mean = static_cast<double>(total) / seen.size();
  EXPECT_GT(mean, 24.0);
  EXPECT_LT(mean, 30.0);
}

TEST(DatasetTest, FarIndexesDoNotCollideWithLoadedOnes) {
  // Refused origins come from indexes >= origins: they must differ.
  std::set<std::string> loaded;
  for (uint64_t j = 0; j < 1000; ++j) loaded.insert(OriginAt(j));
  for (uint64_t j = 10'000'000; j < 10'001'000; ++j) {
    EXPECT_FALSE(loaded.count(OriginAt(j))) << j;
  }
}

TEST(DatasetTest, ValidateNamesTheField) {
  EXPECT_TRUE(ValidateDatasetSpec({1000, 100}).ok());
  absl::Status s = ValidateDatasetSpec({0, 1});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("origins = 0"), std::string::npos);
  s = ValidateDatasetSpec({10, 11});
  EXPECT_NE(s.message().find("tenants = 11"), std::string::npos);
}

TEST(DatasetTest, DefaultTenants) {
  EXPECT_EQ(DefaultTenants(1), 1u);
  EXPECT_EQ(DefaultTenants(1000), 100u);
  EXPECT_EQ(DefaultTenants(1'000'000), 100'000u);
  EXPECT_EQ(DefaultTenants(10'000'000), 100'000u);
}

TEST(DatasetTest, TrafficFollowsTheMixAndTheDataset) {
  const DatasetSpec spec{100000, 1000};
  const size_t n = 100000;
  const std::vector<TrafficItem> traffic =
      GenerateTraffic(spec, TrafficMix{}, n, 42);
  ASSERT_EQ(traffic.size(), n);
  absl::flat_hash_set<std::string> loaded;
  for (uint64_t j = 0; j < spec.origins; ++j) loaded.insert(OriginAt(j));
  size_t counts[4] = {};
  for (const TrafficItem& t : traffic) {
    ++counts[static_cast<int>(t.kind)];
    ASSERT_LT(t.tenant, spec.tenants);
    switch (t.kind) {
      case RequestKind::kAllowed:
      case RequestKind::kPreflight:
        ASSERT_TRUE(loaded.contains(t.origin)) << t.origin;
        break;
      case RequestKind::kRefused:
        ASSERT_FALSE(loaded.contains(t.origin)) << t.origin;
        break;
      case RequestKind::kNoOrigin:
        ASSERT_TRUE(t.origin.empty());
        break;
    }
  }
  EXPECT_NEAR(counts[0] / double(n), 0.70, 0.01);
  EXPECT_NEAR(counts[1] / double(n), 0.10, 0.01);
  EXPECT_NEAR(counts[2] / double(n), 0.15, 0.01);
  EXPECT_NEAR(counts[3] / double(n), 0.05, 0.01);
}

TEST(DatasetTest, TrafficIsDeterministicAndSkewed) {
  const DatasetSpec spec{1'000'000, 100'000};
  const auto a = GenerateTraffic(spec, TrafficMix{}, 20000, 9);
  const auto b = GenerateTraffic(spec, TrafficMix{}, 20000, 9);
  ASSERT_EQ(a.size(), b.size());
  absl::flat_hash_set<std::string> distinct;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].origin, b[i].origin);
    if (!a[i].origin.empty()) distinct.insert(a[i].origin);
  }
  // Zipf: far fewer distinct origins than requests.
  EXPECT_LT(distinct.size(), a.size() / 2);
  EXPECT_GT(distinct.size(), 100u);
}

TEST(DatasetTest, ImportChunksCarryEveryTenantThenEveryOrigin) {
  const DatasetSpec spec{2500, 30};
  size_t tenants = 0, ops = 0, chunks = 0;
  absl::Status s =
      ForEachImportChunk(spec, 1000, [&](const corsd::v1::ImportChunk& c) {
        ++chunks;
        EXPECT_LE(c.tenants_size() + c.ops_size(), 1000);
        tenants += c.tenants_size();
        if (c.ops_size() > 0) {
          EXPECT_EQ(tenants, spec.tenants);  // tenants come first
        }
        for (const auto& op : c.ops()) {
          EXPECT_EQ(op.value(), OriginAt(ops));
          EXPECT_EQ(op.tenant(), TenantId(TenantOf(spec, ops)));
          ++ops;
        }
        return absl::OkStatus();
      });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(tenants, 30u);
  EXPECT_EQ(ops, 2500u);
  EXPECT_EQ(chunks, 3u);
}

TEST(DatasetTest, ImportStopsAtTheFirstError) {
  int calls = 0;
  absl::Status s = ForEachImportChunk({5000, 10}, 1000, [&](const auto&) {
    ++calls;
    return absl::UnavailableError("gone");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace corsd::bench
