// Stress (label stress; run under TSan): six deciding threads log through
// RunDecide into a small ring while the writer writes, a rotator renames
// the file and reopens it, a scraper reads the counters, and a table writer
// adds and removes the origin being asked about. At the end every line
// parses, names an id a door was given, appears once across all the
// files, and lines + drops account for every refusal.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "service/decision/testing/fixture.h"
#include "service/decision_log/decision_log.h"
#include "service/door/decision_id.h"
#include "service/door/run_path.h"
#include "service/origin/testing/json_reader.h"

namespace corsd::decision_log {
namespace {

using decision::testing::OwnedRequest;
using decision::testing::World;

TEST(DecisionLogStressTest, DecidersWriterRotatorAndScraperAtOnce) {
  char tmpl[] = "/tmp/decision-log-stress-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string path = dir + "/log";

  World world;
  door::DecisionIds ids(door::DecisionIds::RandomPrefix());
  absl::StatusOr<std::unique_ptr<DecisionLog>> opened =
      DecisionLog::Open({.path = path,
                         .sample = 0.5,
                         .tenant_rate = 200000,
                         .ring_records = 256});
  ASSERT_TRUE(opened.ok()) << opened.status();
  DecisionLog& log = **opened;
  const door::DecisionDeps deps{.engine = &world.engine(),
                                .epochs = world.epochs(),
                                .ids = &ids,
                                .observer = &log,
                                .door = "decide"};

  constexpr int kThreads = 6;
  constexpr int kPerThread = 20000;
  std::vector<std::vector<std::string>> given(kThreads);
  std::atomic<uint64_t> refusals{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> deciders;
  for (int t = 0; t < kThreads; ++t) {
    deciders.emplace_back([&, t] {
      OwnedRequest flip;
      flip.origin = "https://flip.example.com";
      OwnedRequest evil;
      evil.origin = absl::StrCat("https://evil", t, ".example");
      const decision::Request a = flip.View();
      const decision::Request b = evil.View();
      const char* tenants[] = {"acme", "bare", "open", "nobody"};
      uint64_t refused = 0;
      given[t].reserve(kPerThread);
      for (int i = 0; i < kPerThread; ++i) {
        table::EpochManager::ReadGuard guard(world.epochs());
        decision::Decision d;
        const door::DecideResult r =
            door::RunDecide(deps, door::TenantSources{.named = tenants[i % 4]},
                            i % 3 == 0 ? a : b, &d);
        if (door::IsRefusal(d.reason)) ++refused;
        given[t].emplace_back(door::FormatDecisionId(r.id).view());
      }
      refusals.fetch_add(refused);
    });
  }
  std::thread rotator([&] {
    int n = 0;
    while (!stop.load()) {
      ++n;
      std::error_code ec;
      std::filesystem::rename(path, absl::StrCat(path, ".", n), ec);
      EXPECT_FALSE(ec) << ec.message();
      EXPECT_TRUE(log.Reopen().ok());
      absl::SleepFor(absl::Milliseconds(2));
    }
  });
  std::thread scraper([&] {
    std::string text;
    while (!stop.load()) {
      text.clear();
      log.RenderPrometheus(&text);
      EXPECT_FALSE(text.empty());
      absl::SleepFor(absl::Milliseconds(1));
    }
  });
  std::thread table_writer([&] {
    using K = table::Op::Kind;
    int version = 0;
    while (!stop.load()) {
      const K kind = ++version % 2 ? K::kAddOrigin : K::kRemoveOrigin;
      EXPECT_TRUE(world.table()
                      ->Apply({{kind, "acme", "https://flip.example.com"}})
                      .ok());
      world.epochs()->Reclaim();
    }
  });
  for (std::thread& t : deciders) t.join();
  stop.store(true);
  rotator.join();
  scraper.join();
  table_writer.join();
  log.Flush();

  std::set<std::string> issued;
  for (const auto& v : given) issued.insert(v.begin(), v.end());
  ASSERT_EQ(issued.size(), static_cast<size_t>(kThreads * kPerThread));
  std::set<std::string> logged;
  uint64_t lines = 0;
  uint64_t refusal_lines = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) {
      ++lines;
      absl::StatusOr<origin::testing::JsonValue> v =
          origin::testing::ParseJson(line);
      ASSERT_TRUE(v.ok()) << v.status() << ": " << line;
      const std::string id = v->Find("decision_id")->string_value();
      EXPECT_TRUE(issued.count(id) == 1) << line;
      EXPECT_TRUE(logged.insert(id).second) << "logged twice: " << line;
      if (v->Find("reason")->string_value() != "REASON_R2_ORIGIN_ALLOWED" &&
          v->Find("reason")->string_value() != "REASON_R3_PUBLIC") {
        ++refusal_lines;
      }
    }
  }
  const DecisionLogStats stats = log.Stats();
  EXPECT_EQ(lines, stats.lines);
  EXPECT_EQ(stats.dropped_write_error, 0u);
  // Every refusal is a line or a counted drop (allows are sampled, so they
  // are only bounded).
  EXPECT_LE(refusal_lines, refusals.load());
  EXPECT_GE(refusal_lines + stats.dropped_ring_full + stats.dropped_tenant_rate,
            refusals.load());
  opened->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace corsd::decision_log
