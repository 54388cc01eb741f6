// The decision log: the line's shape and escaping, what is never logged,
// sampling, the per-tenant budget (a flood cannot push another tenant's
// refusals out), ring-full drops counted, and reopening after a rename
// (no line lost or split across the switch).
#include "service/decision_log/decision_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "service/decision/testing/fixture.h"
#include "service/door/decision_id.h"
#include "service/door/run_path.h"
#include "service/origin/testing/json_reader.h"

namespace corsd::decision_log {
namespace {

using decision::testing::OwnedRequest;
using decision::testing::World;
using origin::testing::JsonValue;
using origin::testing::ParseJson;

// A fresh directory, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/decision-log-test-XXXXXX";
    const char* made = mkdtemp(tmpl);
    EXPECT_NE(made, nullptr);
    path_ = made != nullptr ? made : "/tmp";
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(absl::string_view name) const {
    return absl::StrCat(path_, "/", name);
  }

 private:
  std::string path_;
};

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

std::vector<JsonValue> ParseLines(const std::vector<std::string>& lines) {
  std::vector<JsonValue> out;
  for (const std::string& line : lines) {
    absl::StatusOr<JsonValue> v = ParseJson(line);
    EXPECT_TRUE(v.ok()) << v.status() << ": " << line;
    if (v.ok()) out.push_back(*std::move(v));
  }
  return out;
}

std::string Str(const JsonValue& line, absl::string_view key) {
  const JsonValue* v = line.Find(key);
  return v != nullptr ? v->string_value() : "<missing>";
}

// A manual wall clock (microseconds since the epoch) for the log.
struct ManualClock {
  std::atomic<int64_t> micros{0};
  std::function<int64_t()> Fn() {
    return [this] { return micros.load(std::memory_order_relaxed); };
  }
};

int64_t MicrosAt(absl::CivilSecond when) {
  return absl::ToUnixMicros(absl::FromCivil(when, absl::UTCTimeZone()));
}

// The fixture's tables, an id source and a log, deciding as a door does.
class Logged {
 public:
  explicit Logged(DecisionLogOptions options, absl::string_view door = "http")
      : ids_(7) {
    absl::StatusOr<std::unique_ptr<DecisionLog>> log =
        DecisionLog::Open(std::move(options));
    EXPECT_TRUE(log.ok()) << log.status();
    if (log.ok()) log_ = *std::move(log);
    deps_ = door::DecisionDeps{.engine = &world_.engine(),
                               .epochs = world_.epochs(),
                               .ids = &ids_,
                               .observer = log_.get(),
                               .door = door};
  }

  door::DecideResult Decide(absl::string_view tenant,
                            const OwnedRequest& owned) {
    table::EpochManager::ReadGuard guard(world_.epochs());
    decision::Decision d;
    return door::RunDecide(deps_, door::TenantSources{.named = tenant},
                           owned.View(), &d);
  }

  DecisionLog& log() { return *log_; }
  table::TenantId Id(absl::string_view tenant) {
    table::EpochManager::ReadGuard guard(world_.epochs());
    return world_.table()->FindTenant(tenant);
  }

 private:
  World world_;
  door::DecisionIds ids_;
  std::unique_ptr<DecisionLog> log_;
  door::DecisionDeps deps_;
};

OwnedRequest Refused(absl::string_view origin = "https://evil.example") {
  OwnedRequest r;
  r.origin = std::string(origin);
  return r;
}

OwnedRequest Allowed() {
  OwnedRequest r;
  r.origin = "https://app.example.com";
  return r;
}

TEST(DecisionLogTest, OneJsonLinePerLoggedDecisionWithTheDocumentedKeys) {
  TempDir dir;
  ManualClock clock;
  clock.micros = MicrosAt(absl::CivilSecond(2024, 5, 1, 12, 34, 56)) + 789123;
  Logged logged(
      {.path = dir.File("log"), .sample = 1.0, .now_unix_micros = clock.Fn()},
      "ext_authz");
  OwnedRequest unsafe = Refused();
  unsafe.method = "PUT";
  unsafe.path = "/pna/frame?x=1";
  const door::DecideResult refused = logged.Decide("acme", unsafe);
  const door::DecideResult allowed = logged.Decide("acme", Allowed());
  OwnedRequest no_origin;
  no_origin.host = "nobody.test";
  logged.Decide("", no_origin);
  logged.log().Flush();

  const std::vector<std::string> lines = ReadLines(dir.File("log"));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(
      lines[0],
      absl::StrCat("{\"time\":\"2024-05-01T12:34:56.789Z\",\"decision_id\":\"",
                   door::FormatDecisionId(refused.id).view(),
                   "\",\"door\":\"ext_authz\",\"tenant\":\"acme\",\"origin\":"
                   "\"https://evil.example\",\"method\":\"PUT\",\"path_class\":"
                   "\"/pna\",\"action\":\"ACTION_ANSWER\",\"status\":403,"
                   "\"reason\":\"REASON_R14_UNSAFE_METHOD_DENIED\",\"rule\":"
                   "\"R14\"}"));
  const std::vector<JsonValue> parsed = ParseLines(lines);
  ASSERT_EQ(parsed.size(), 3u);
  std::vector<std::string> keys;
  for (const auto& [key, value] : parsed[1].members()) keys.push_back(key);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"time", "decision_id", "door", "tenant",
                                      "origin", "method", "path_class",
                                      "action", "status", "reason", "rule"}));
  EXPECT_EQ(Str(parsed[1], "decision_id"),
            door::FormatDecisionId(allowed.id).view());
  EXPECT_EQ(Str(parsed[1], "reason"), "REASON_R2_ORIGIN_ALLOWED");
  EXPECT_EQ(Str(parsed[1], "action"), "ACTION_CONTINUE");
  EXPECT_EQ(parsed[1].Find("status")->number_value(), 0);
  EXPECT_EQ(Str(parsed[1], "path_class"), "default");
  // No tenant: tenant "", rule ""; no Origin header: origin null.
  EXPECT_EQ(Str(parsed[2], "tenant"), "");
  EXPECT_EQ(Str(parsed[2], "rule"), "");
  EXPECT_TRUE(parsed[2].Find("origin")->is_null());
  EXPECT_EQ(Str(parsed[2], "method"), "GET");
}

TEST(DecisionLogTest, HostileBytesAreEscapedAndLongValuesCutWithAMark) {
  TempDir dir;
  Logged logged({.path = dir.File("log"), .sample = 1.0});
  // NUL, DEL, a lone 0xff, UTF-8 "é" and "…": bytes, not text.
  static constexpr char kTail[] = "\0\x7f\xff\xc3\xa9 \xe2\x80\xa6</script>";
  const std::string hostile =
      "https://a\"b\\c\x01\n\r\t" + std::string(kTail, sizeof(kTail) - 1);
  logged.Decide("acme", Refused(hostile));
  const std::string long_origin = "https://" + std::string(400, 'a') + ".test";
  logged.Decide("acme", Refused(long_origin));
  logged.log().Flush();

  const std::vector<std::string> lines = ReadLines(dir.File("log"));
  ASSERT_EQ(lines.size(), 2u);
  for (const std::string& line : lines) {
    for (const char c : line) {
      const unsigned char u = static_cast<unsigned char>(c);
      EXPECT_TRUE(u >= 0x20 && u < 0x7f) << "byte " << int{u} << " in " << line;
    }
  }
  EXPECT_TRUE(absl::StrContains(
      lines[0],
      "\"origin\":\"https://a\\\"b\\\\c\\u0001\\u000a\\u000d\\u0009\\u0000"
      "\\u007f\\u00ff\\u00c3\\u00a9 \\u00e2\\u0080\\u00a6</script>\""))
      << lines[0];
  const std::vector<JsonValue> parsed = ParseLines(lines);
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(Str(parsed[0], "reason"), "REASON_R2_ORIGIN_NOT_CANONICAL");
  // Each \u00XX is the byte XX: the value maps back to the bytes sent.
  std::string decoded;
  const std::string& utf8 = Str(parsed[0], "origin");
  for (size_t i = 0; i < utf8.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      decoded.push_back(static_cast<char>(c));
    } else {  // U+0080..U+00FF in UTF-8: two bytes
      ASSERT_LT(i + 1, utf8.size());
      decoded.push_back(
          static_cast<char>(((c & 0x03) << 6) | (utf8[i + 1] & 0x3f)));
      ++i;
    }
  }
  EXPECT_EQ(decoded, hostile);
  // Cut to 256 bytes, then U+2026 (UTF-8 e2 80 a6), which no input byte
  // can produce.
  EXPECT_EQ(Str(parsed[1], "origin"),
            long_origin.substr(0, 256) + "\xe2\x80\xa6");
}

TEST(DecisionLogTest, NeverLogsThePathHostOrAnyOtherHeaderValue) {
  TempDir dir;
  Logged logged({.path = dir.File("log"), .sample = 1.0});
  OwnedRequest r = Refused();
  r.method = "OPTIONS";
  r.path = "/v1/items?token=SECRET-QUERY";
  r.acrm = "PUT";
  r.acrh = "x-SECRET-header";
  r.acrpn = "SECRET-pna";
  r.upgrade = "SECRET-upgrade";
  r.connection = "SECRET-connection";
  r.credentials = true;  // a Cookie or Authorization was sent
  logged.Decide("acme", r);
  OwnedRequest by_host = Refused();
  by_host.host = "api.acme.test";
  by_host.path = "/SECRET-path";
  logged.Decide("", by_host);
  logged.log().Flush();
  const std::vector<std::string> lines = ReadLines(dir.File("log"));
  ASSERT_EQ(lines.size(), 2u);
  for (const std::string& line : lines) {
    EXPECT_FALSE(absl::StrContains(line, "SECRET")) << line;
    EXPECT_FALSE(absl::StrContains(line, "api.acme.test")) << line;
  }
}

TEST(DecisionLogTest, EveryRefusalAndASampleOfAllows) {
  for (const double sample : {0.0, 0.25, 1.0}) {
    TempDir dir;
    Logged logged({.path = dir.File("log"),
                   .sample = sample,
                   .tenant_rate = 1000000,
                   .ring_records = 1 << 16});
    constexpr int kAllows = 20000;
    constexpr int kRefusals = 300;
    for (int i = 0; i < kAllows; ++i) logged.Decide("acme", Allowed());
    for (int i = 0; i < kRefusals; ++i) logged.Decide("acme", Refused());
    logged.log().Flush();
    int allows = 0;
    int refusals = 0;
    for (const JsonValue& line : ParseLines(ReadLines(dir.File("log")))) {
      (Str(line, "reason") == "REASON_R2_ORIGIN_ALLOWED" ? allows : refusals)++;
    }
    EXPECT_EQ(refusals, kRefusals) << "sample " << sample;
    // Binomial(20000, sample): 5 standard deviations either side.
    const double mean = kAllows * sample;
    const double sd = std::sqrt(kAllows * sample * (1 - sample));
    EXPECT_GE(allows, mean - 5 * sd) << "sample " << sample;
    EXPECT_LE(allows, mean + 5 * sd) << "sample " << sample;
  }
}

TEST(DecisionLogTest, AFloodingTenantCannotPushAnotherTenantsRefusalsOut) {
  TempDir dir;
  ManualClock clock;
  clock.micros = MicrosAt(absl::CivilSecond(2024, 1, 1, 0, 0, 0));
  Logged logged({.path = dir.File("log"),
                 .sample = 0.0,
                 .tenant_rate = 50,
                 .now_unix_micros = clock.Fn()});
  // "acme" floods, "bare" refuses now and then: separate buckets.
  ASSERT_NE(logged.log().SlotOf(logged.Id("acme")),
            logged.log().SlotOf(logged.Id("bare")));
  std::set<std::string> bare_ids;
  for (int i = 0; i < 10000; ++i) {
    logged.Decide("acme", Refused());
    if (i % 500 == 0) {
      bare_ids.insert(std::string(
          door::FormatDecisionId(logged.Decide("bare", Refused()).id).view()));
    }
  }
  logged.log().Flush();
  std::map<std::string, int> per_tenant;
  std::set<std::string> logged_bare;
  for (const JsonValue& line : ParseLines(ReadLines(dir.File("log")))) {
    ++per_tenant[Str(line, "tenant")];
    if (Str(line, "tenant") == "bare") {
      logged_bare.insert(Str(line, "decision_id"));
    }
  }
  EXPECT_EQ(per_tenant["acme"], 50) << "the burst: one second's budget";
  EXPECT_EQ(logged_bare, bare_ids) << "every refusal of the quiet tenant";
  EXPECT_EQ(logged.log().Stats().dropped_tenant_rate, 10000u - 50u);

  // A second later the flooding tenant has a new second's budget.
  clock.micros += 1000000;
  for (int i = 0; i < 1000; ++i) logged.Decide("acme", Refused());
  logged.log().Flush();
  per_tenant.clear();
  for (const JsonValue& line : ParseLines(ReadLines(dir.File("log")))) {
    ++per_tenant[Str(line, "tenant")];
  }
  EXPECT_EQ(per_tenant["acme"], 100);
  std::string metrics;
  logged.log().RenderPrometheus(&metrics);
  EXPECT_TRUE(absl::StrContains(
      metrics, "corsd_decision_log_dropped_total{cause=\"tenant_rate\"} 10900"))
      << metrics;
  EXPECT_TRUE(absl::StrContains(
      metrics,
      absl::StrCat("corsd_decision_log_lines_total ", 100 + bare_ids.size())))
      << metrics;
}

TEST(DecisionLogTest, TheFirstTenantSlotsTenantsHaveBucketsOfTheirOwn) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<DecisionLog>> log =
      DecisionLog::Open({.path = dir.File("log"), .tenant_slots = 8});
  ASSERT_TRUE(log.ok()) << log.status();
  std::set<size_t> slots;
  for (uint32_t id = 0; id < 8; ++id) slots.insert((*log)->SlotOf(id));
  EXPECT_EQ(slots.size(), 8u);
  // Beyond the table, ids equal modulo 8 share; unknown tenants never share
  // with a tenant.
  EXPECT_EQ((*log)->SlotOf(9), (*log)->SlotOf(1));
  EXPECT_EQ(slots.count((*log)->SlotOf(table::kNoTenant)), 0u);
}

TEST(DecisionLogTest, AllowsLeaveHalfOfATenantsBudgetToRefusals) {
  TempDir dir;
  ManualClock clock;
  clock.micros = MicrosAt(absl::CivilSecond(2024, 1, 1, 0, 0, 0));
  Logged logged({.path = dir.File("log"),
                 .sample = 1.0,
                 .tenant_rate = 10,
                 .now_unix_micros = clock.Fn()});
  for (int i = 0; i < 100; ++i) logged.Decide("acme", Allowed());
  for (int i = 0; i < 100; ++i) logged.Decide("acme", Refused());
  logged.log().Flush();
  int allows = 0;
  int refusals = 0;
  for (const JsonValue& line : ParseLines(ReadLines(dir.File("log")))) {
    (Str(line, "reason") == "REASON_R2_ORIGIN_ALLOWED" ? allows : refusals)++;
  }
  EXPECT_EQ(allows, 5);    // while the bucket is over half full
  EXPECT_EQ(refusals, 5);  // the half kept for them
}

TEST(DecisionLogTest, RingFullDropsAreCountedAndEveryOtherLineWritten) {
  TempDir dir;
  const std::string fifo = dir.File("fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  // The reader end first (non-blocking), so the log's open does not wait.
  const int reader = open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  auto logged = std::make_unique<Logged>(DecisionLogOptions{
      .path = fifo, .sample = 0.0, .tenant_rate = 1000000, .ring_records = 8});
  // Nobody reads: the pipe (64 KiB) fills, the writer blocks in write(),
  // then the 8-record ring fills and decisions are dropped.
  constexpr uint64_t kRefusals = 5000;
  for (uint64_t i = 0; i < kRefusals; ++i) logged->Decide("acme", Refused());
  const uint64_t ring_full = logged->log().Stats().dropped_ring_full;
  EXPECT_GT(ring_full, 0u);

  // Now read everything; the log's destructor writes the rest and closes.
  ASSERT_EQ(fcntl(reader, F_SETFL, 0), 0);  // blocking reads
  std::string text;
  std::thread drain([&] {
    char buf[65536];
    ssize_t n;
    while ((n = read(reader, buf, sizeof(buf))) > 0) {
      text.append(buf, static_cast<size_t>(n));
    }
  });
  logged->log().Flush();
  const DecisionLogStats stats = logged->log().Stats();
  logged.reset();
  drain.join();
  close(reader);
  const std::vector<std::string> lines =
      absl::StrSplit(text, '\n', absl::SkipEmpty());
  EXPECT_EQ(lines.size(), stats.lines);
  EXPECT_EQ(stats.lines + stats.dropped_ring_full, kRefusals);
  EXPECT_EQ(ParseLines(lines).size(), lines.size());
}

TEST(DecisionLogTest, ReopenAfterRenameContinuesInTheNewFile) {
  TempDir dir;
  Logged logged({.path = dir.File("log"), .sample = 0.0});
  std::set<std::string> before;
  std::set<std::string> after;
  for (int i = 0; i < 10; ++i) {
    before.insert(std::string(
        door::FormatDecisionId(logged.Decide("acme", Refused()).id).view()));
  }
  logged.log().Flush();
  ASSERT_EQ(rename(dir.File("log").c_str(), dir.File("log.1").c_str()), 0);
  ASSERT_TRUE(logged.log().Reopen().ok());
  for (int i = 0; i < 10; ++i) {
    after.insert(std::string(
        door::FormatDecisionId(logged.Decide("acme", Refused()).id).view()));
  }
  logged.log().Flush();
  std::set<std::string> old_ids;
  std::set<std::string> new_ids;
  for (const JsonValue& l : ParseLines(ReadLines(dir.File("log.1")))) {
    old_ids.insert(Str(l, "decision_id"));
  }
  for (const JsonValue& l : ParseLines(ReadLines(dir.File("log")))) {
    new_ids.insert(Str(l, "decision_id"));
  }
  EXPECT_EQ(old_ids, before);
  EXPECT_EQ(new_ids, after);
  EXPECT_EQ(logged.log().Stats().reopens, 1u);
}

TEST(DecisionLogTest, NoLineIsLostOrSplitAcrossReopensWhileWriting) {
  TempDir dir;
  Logged logged({.path = dir.File("log"),
                 .sample = 0.0,
                 .tenant_rate = 1000000,
                 .ring_records = 1 << 15});
  constexpr int kRefusals = 30000;  // fits the ring: no drop is possible
  std::vector<std::string> ids;
  ids.reserve(kRefusals);
  std::atomic<bool> done{false};
  std::thread decider([&] {
    for (int i = 0; i < kRefusals; ++i) {
      ids.emplace_back(
          door::FormatDecisionId(logged.Decide("acme", Refused()).id).view());
    }
    done.store(true);
  });
  int rotations = 0;
  while (!done.load() || rotations == 0) {
    ++rotations;
    ASSERT_EQ(rename(dir.File("log").c_str(),
                     dir.File(absl::StrCat("log.", rotations)).c_str()),
              0);
    ASSERT_TRUE(logged.log().Reopen().ok());
    absl::SleepFor(absl::Microseconds(500));
  }
  decider.join();
  logged.log().Flush();
  std::multiset<std::string> seen;
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.File(""))) {
    ++files;
    for (const JsonValue& l : ParseLines(ReadLines(entry.path().string()))) {
      seen.insert(Str(l, "decision_id"));
    }
  }
  EXPECT_EQ(files, static_cast<size_t>(rotations) + 1);
  EXPECT_EQ(seen.size(), ids.size());
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()),
            std::set<std::string>(ids.begin(), ids.end()));
  EXPECT_EQ(logged.log().Stats().dropped_ring_full, 0u);
}

TEST(DecisionLogTest, AFailedReopenKeepsTheOldFile) {
  TempDir dir;
  const std::string sub = dir.File("sub");
  ASSERT_TRUE(std::filesystem::create_directory(sub));
  Logged logged({.path = sub + "/log", .sample = 0.0});
  logged.Decide("acme", Refused());
  logged.log().Flush();
  std::filesystem::remove_all(sub);  // the path cannot be opened again
  const absl::Status s = logged.log().Reopen();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "--decision-log")) << s;
  logged.Decide("acme", Refused());
  logged.log().Flush();
  EXPECT_EQ(logged.log().Stats().lines, 2u);
  EXPECT_EQ(logged.log().Stats().dropped_write_error, 0u);
}

TEST(DecisionLogTest, OptionsOutOfRangeAreRefusedNamingTheFlag) {
  TempDir dir;
  struct Case {
    DecisionLogOptions options;
    absl::string_view flag;
  };
  const std::string path = dir.File("log");
  for (const Case& c : std::vector<Case>{
           {{.path = ""}, "--decision-log"},
           {{.path = path, .sample = 1.5}, "--decision-log-sample"},
           {{.path = path, .sample = -0.1}, "--decision-log-sample"},
           {{.path = path, .tenant_rate = 0}, "--decision-log-tenant-rate"},
           {{.path = path, .tenant_rate = 2000000},
            "--decision-log-tenant-rate"},
           {{.path = dir.File("no/such/dir/log")}, "--decision-log"},
       }) {
    const absl::StatusOr<std::unique_ptr<DecisionLog>> log =
        DecisionLog::Open(c.options);
    ASSERT_FALSE(log.ok()) << c.flag;
    EXPECT_TRUE(absl::StartsWith(log.status().message(), c.flag))
        << log.status();
  }
  EXPECT_FALSE(DecisionLog::Open({.path = path, .ring_records = 1000}).ok());
  EXPECT_FALSE(DecisionLog::Open({.path = path, .tenant_slots = 3}).ok());
}

TEST(DecisionLogTest, StandardOutputIsNeverReopened) {
  absl::StatusOr<std::unique_ptr<DecisionLog>> log =
      DecisionLog::Open({.path = "-"});
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_TRUE((*log)->Reopen().ok());
  EXPECT_EQ((*log)->Stats().reopens, 0u);
}

}  // namespace
}  // namespace corsd::decision_log
