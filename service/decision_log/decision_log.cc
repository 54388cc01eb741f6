#include "service/decision_log/decision_log.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/decision/reason.h"
#include "service/decision_log/log_file.h"
#include "service/door/decision_id.h"
#include "service/table/origin_table.h"

namespace corsd::decision_log {
namespace {

constexpr uint32_t kMaxTenantRate = 1000000;
constexpr size_t kMaxSlots = size_t{1} << 20;
constexpr size_t kMaxRecords = size_t{1} << 20;
// Most records formatted into one write().
constexpr size_t kMaxBatch = 512;

// Truncation bits of Record::truncated.
constexpr uint8_t kCutTenant = 1;
constexpr uint8_t kCutOrigin = 2;
constexpr uint8_t kCutMethod = 4;
constexpr uint8_t kCutPathClass = 8;
constexpr uint8_t kCutDoor = 16;

bool PowerOfTwo(size_t n) { return n != 0 && (n & (n - 1)) == 0; }

// Copies `value` into `dst` (cut to N bytes, setting `bit` in *cut).
template <size_t N>
uint16_t CopyField(absl::string_view value, char (&dst)[N], uint8_t bit,
                   uint8_t* cut) {
  static_assert(N <= 0xffff);
  size_t n = value.size();
  if (n > N) {
    n = N;
    *cut |= bit;
  }
  if (n > 0) std::memcpy(dst, value.data(), n);
  return static_cast<uint16_t>(n);
}

// "YYYY-MM-DDTHH:MM:SS" of the last second formatted (the writer's only).
struct TimeCache {
  int64_t second = INT64_MIN;
  char text[32] = {};
  size_t size = 0;
};

void AppendTime(int64_t unix_micros, TimeCache* cache, std::string* out) {
  int64_t second = unix_micros / 1000000;
  int64_t micros = unix_micros % 1000000;
  if (micros < 0) {
    micros += 1000000;
    --second;
  }
  if (second != cache->second) {
    const time_t t = static_cast<time_t>(second);
    struct tm tm {};
    gmtime_r(&t, &tm);
    const int n = std::snprintf(cache->text, sizeof(cache->text),
                                "%04d-%02d-%02dT%02d:%02d:%02d",
                                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                                tm.tm_hour, tm.tm_min, tm.tm_sec);
    cache->size =
        n > 0 ? std::min(static_cast<size_t>(n), sizeof(cache->text) - 1) : 0;
    cache->second = second;
  }
  const int ms = static_cast<int>(micros / 1000);
  out->push_back('"');
  out->append(cache->text, cache->size);
  const char frac[6] = {'.',
                        static_cast<char>('0' + ms / 100),
                        static_cast<char>('0' + ms / 10 % 10),
                        static_cast<char>('0' + ms % 10),
                        'Z',
                        '"'};
  out->append(frac, sizeof(frac));
}

}  // namespace

// One logged decision, copied out of the event's views. Plain bytes.
struct DecisionLog::Record {
  int64_t unix_micros;
  uint64_t id;
  uint16_t status;
  uint8_t action;
  uint8_t reason;
  bool has_origin;
  uint8_t truncated;  // kCut* bits
  uint16_t door_len;
  uint16_t tenant_len;
  uint16_t origin_len;
  uint16_t method_len;
  uint16_t path_class_len;
  char door[16];
  char tenant[128];
  char origin[256];
  char method[32];
  char path_class[96];
};

absl::StatusOr<std::unique_ptr<DecisionLog>> DecisionLog::Open(
    DecisionLogOptions options) {
  if (options.path.empty()) {
    return absl::InvalidArgumentError(
        "--decision-log: empty; expected \"-\" (standard output) or a file "
        "path");
  }
  if (!(options.sample >= 0.0 && options.sample <= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--decision-log-sample \"", options.sample,
                     "\": expected a fraction from 0 to 1"));
  }
  if (options.tenant_rate < 1 || options.tenant_rate > kMaxTenantRate) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--decision-log-tenant-rate \"", options.tenant_rate,
        "\": expected 1 to ", kMaxTenantRate, " lines per second"));
  }
  if (!PowerOfTwo(options.tenant_slots) || options.tenant_slots > kMaxSlots) {
    return absl::InvalidArgumentError(
        absl::StrCat("decision log tenant_slots ", options.tenant_slots,
                     ": expected a power of two up to ", kMaxSlots));
  }
  if (!PowerOfTwo(options.ring_records) || options.ring_records < 2 ||
      options.ring_records > kMaxRecords) {
    return absl::InvalidArgumentError(
        absl::StrCat("decision log ring_records ", options.ring_records,
                     ": expected a power of two from 2 to ", kMaxRecords));
  }
  if (options.idle_poll <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "decision log idle_poll ", absl::FormatDuration(options.idle_poll),
        ": expected a positive duration"));
  }
  int fd = STDOUT_FILENO;
  if (options.path != "-") {
    absl::StatusOr<int> opened = OpenAppendFile("--decision-log", options.path);
    if (!opened.ok()) return opened.status();
    fd = *opened;
  }
  return std::unique_ptr<DecisionLog>(new DecisionLog(std::move(options), fd));
}

DecisionLog::DecisionLog(DecisionLogOptions options, int fd)
    : options_(std::move(options)),
      sample_threshold_(
          options_.sample >= 1.0
              ? ~uint64_t{0}
              : static_cast<uint64_t>(std::min(std::ldexp(options_.sample, 64),
                                               18446744073709549568.0))),
      sample_all_(options_.sample >= 1.0),
      ring_(std::make_unique<door::BoundedRing<Record>>(options_.ring_records)),
      budgets_(std::make_unique<door::TenantBudgets>(
          options_.tenant_slots, options_.tenant_rate, BucketMillis())) {
  {
    std::lock_guard<std::mutex> lock(file_mu_);
    fd_ = fd;
  }
  writer_ = std::thread([this] { WriterLoop(); });
  pthread_setname_np(writer_.native_handle(), "corsd-declog");
}

DecisionLog::~DecisionLog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    wake_.notify_one();
  }
  writer_.join();
  std::lock_guard<std::mutex> lock(file_mu_);
  if (fd_ != STDOUT_FILENO && fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

int64_t DecisionLog::NowMicros() const {
  if (options_.now_unix_micros) return options_.now_unix_micros();
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

uint32_t DecisionLog::BucketMillis() const {
  if (options_.now_unix_micros) {
    return static_cast<uint32_t>(options_.now_unix_micros() / 1000);
  }
  timespec ts{};
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return static_cast<uint32_t>(static_cast<int64_t>(ts.tv_sec) * 1000 +
                               ts.tv_nsec / 1000000);
}

size_t DecisionLog::SlotOf(uint32_t tenant) const {
  return budgets_->SlotOf(tenant);
}

void DecisionLog::OnDecision(const door::DecisionEvent& e) {
  const decision::Decision& d = e.decision;
  const bool refusal = door::IsRefusal(d.reason);
  // Ids are uniform 64-bit values: "id < threshold" samples a fraction
  // `sample` of them, with no random state.
  if (!refusal && !sample_all_ && e.id >= sample_threshold_) return;

  // A refusal may spend any token; an allow only the upper half, which
  // leaves the lower half of each budget to refusals.
  if (!budgets_->Take(d.tenant, BucketMillis(),
                      refusal ? door::TenantBudgets::Spend::kAny
                              : door::TenantBudgets::Spend::kUpperHalf)) {
    return;  // counted in the budget's drops
  }

  uint64_t pos = 0;
  Record* claimed = ring_->TryClaim(&pos);
  if (claimed == nullptr) {
    // The writer has not freed the next cell yet: the ring is full.
    dropped_ring_full_.fetch_add(1, std::memory_order_relaxed);  // a count
    return;
  }
  Record& r = *claimed;
  r.unix_micros = NowMicros();
  r.id = e.id;
  r.status = d.status;
  r.action = static_cast<uint8_t>(d.action);
  r.reason = static_cast<uint8_t>(d.reason);
  r.has_origin = e.request.has_origin;
  r.truncated = 0;
  r.door_len = CopyField(e.door, r.door, kCutDoor, &r.truncated);
  r.tenant_len = CopyField(e.tenant, r.tenant, kCutTenant, &r.truncated);
  r.origin_len = e.request.has_origin ? CopyField(e.request.origin, r.origin,
                                                  kCutOrigin, &r.truncated)
                                      : 0;
  r.method_len =
      CopyField(e.request.method, r.method, kCutMethod, &r.truncated);
  const absl::string_view path_class =
      d.rules != nullptr && !d.rules->path_prefix.empty()
          ? absl::string_view(d.rules->path_prefix)
          : absl::string_view("default");
  r.path_class_len =
      CopyField(path_class, r.path_class, kCutPathClass, &r.truncated);
  ring_->Publish(pos);
}

size_t DecisionLog::Drain(std::string* lines) {
  TimeCache time_cache;
  size_t n = 0;
  while (n < kMaxBatch) {
    const Record* front = ring_->Front();
    if (front == nullptr) break;
    const Record& r = *front;
    lines->append("{\"time\":");
    AppendTime(r.unix_micros, &time_cache, lines);
    lines->append(",\"decision_id\":");
    if (r.id != 0) {
      const door::DecisionIdText id = door::FormatDecisionId(r.id);
      lines->push_back('"');
      lines->append(id.chars.data(), id.chars.size());
      lines->push_back('"');
    } else {
      lines->append("null");
    }
    lines->append(",\"door\":");
    AppendJsonString(absl::string_view(r.door, r.door_len),
                     (r.truncated & kCutDoor) != 0, lines);
    lines->append(",\"tenant\":");
    AppendJsonString(absl::string_view(r.tenant, r.tenant_len),
                     (r.truncated & kCutTenant) != 0, lines);
    lines->append(",\"origin\":");
    if (r.has_origin) {
      AppendJsonString(absl::string_view(r.origin, r.origin_len),
                       (r.truncated & kCutOrigin) != 0, lines);
    } else {
      lines->append("null");
    }
    lines->append(",\"method\":");
    AppendJsonString(absl::string_view(r.method, r.method_len),
                     (r.truncated & kCutMethod) != 0, lines);
    lines->append(",\"path_class\":");
    AppendJsonString(absl::string_view(r.path_class, r.path_class_len),
                     (r.truncated & kCutPathClass) != 0, lines);
    const auto reason = static_cast<decision::Reason>(r.reason);
    absl::StrAppend(
        lines, ",\"action\":\"",
        decision::ActionName(static_cast<decision::Action>(r.action)),
        "\",\"status\":", r.status, ",\"reason\":\"",
        decision::ReasonName(reason), "\",\"rule\":\"",
        decision::RuleOf(reason), "\"}\n");
    ring_->Pop();
    ++n;
  }
  return n;
}

int DecisionLog::WriteAll(absl::string_view lines) {
  while (!lines.empty()) {
    const ssize_t w = ::write(fd_, lines.data(), lines.size());
    if (w > 0) {
      lines.remove_prefix(static_cast<size_t>(w));
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      ::poll(&p, 1, 100);
      continue;
    }
    return w < 0 ? errno : EIO;
  }
  return 0;
}

void DecisionLog::WriterLoop() {
  std::string lines;
  lines.reserve(kMaxBatch * 320);
  uint64_t flushes_seen = 0;
  absl::Time last_error_report = absl::InfinitePast();
  while (true) {
    const size_t n = Drain(&lines);
    if (n > 0) {
      int err;
      {
        std::lock_guard<std::mutex> lock(file_mu_);
        err = WriteAll(lines);
      }
      if (err == 0) {
        lines_.fetch_add(n, std::memory_order_relaxed);  // a count
      } else {
        dropped_write_error_.fetch_add(n, std::memory_order_relaxed);
        // At most one report a minute on stderr.
        if (absl::Now() - last_error_report >= absl::Minutes(1)) {
          last_error_report = absl::Now();
          std::fprintf(stderr,
                       "corsd: decision log: writing to \"%s\" failed: %s "
                       "(lines are dropped and counted)\n",
                       options_.path.c_str(), std::strerror(err));
        }
      }
      lines.clear();
    }
    std::unique_lock<std::mutex> lock(mu_);
    written_pos_ = ring_->read_position();
    progress_.notify_all();
    if (n > 0) continue;  // more may have come while writing
    if (stop_) break;     // drained: no door decides any more
    if (flush_requests_ != flushes_seen) {
      flushes_seen = flush_requests_;
      continue;  // look again before sleeping
    }
    wake_.wait_for(lock, absl::ToChronoNanoseconds(options_.idle_poll));
  }
}

void DecisionLog::Flush() {
  // Relaxed: the caller's own order (the same thread, or a join of the
  // deciding threads) makes the claims it waits for visible here.
  const uint64_t target = ring_->claimed();
  std::unique_lock<std::mutex> lock(mu_);
  ++flush_requests_;
  wake_.notify_one();
  progress_.wait(lock, [&] { return written_pos_ >= target; });
}

absl::Status DecisionLog::Reopen() {
  if (options_.path == "-") return absl::OkStatus();
  absl::StatusOr<int> opened = OpenAppendFile("--decision-log", options_.path);
  if (!opened.ok()) return opened.status();
  int old;
  {
    // Between two writes: the writer holds file_mu_ across each one.
    std::lock_guard<std::mutex> lock(file_mu_);
    old = fd_;
    fd_ = *opened;
  }
  ::close(old);
  reopens_.fetch_add(1, std::memory_order_relaxed);  // a count
  return absl::OkStatus();
}

DecisionLogStats DecisionLog::Stats() const {
  DecisionLogStats s;
  // Relaxed loads throughout: independent counters, a reporting snapshot.
  s.lines = lines_.load(std::memory_order_relaxed);
  s.dropped_ring_full = dropped_ring_full_.load(std::memory_order_relaxed);
  s.dropped_write_error = dropped_write_error_.load(std::memory_order_relaxed);
  s.reopens = reopens_.load(std::memory_order_relaxed);
  s.dropped_tenant_rate = budgets_->TotalDropped();
  return s;
}

void DecisionLog::RenderPrometheus(std::string* out) const {
  const DecisionLogStats s = Stats();
  absl::StrAppend(
      out,
      "# HELP corsd_decision_log_lines_total Lines written to the decision "
      "log (--decision-log).\n"
      "# TYPE corsd_decision_log_lines_total counter\n"
      "corsd_decision_log_lines_total ",
      s.lines,
      "\n"
      "# HELP corsd_decision_log_dropped_total Decisions the decision log "
      "did not write: ring_full (the writer fell behind), tenant_rate (over "
      "the tenant's --decision-log-tenant-rate), write_error (a failed "
      "write).\n"
      "# TYPE corsd_decision_log_dropped_total counter\n"
      "corsd_decision_log_dropped_total{cause=\"ring_full\"} ",
      s.dropped_ring_full,
      "\n"
      "corsd_decision_log_dropped_total{cause=\"tenant_rate\"} ",
      s.dropped_tenant_rate,
      "\n"
      "corsd_decision_log_dropped_total{cause=\"write_error\"} ",
      s.dropped_write_error, "\n");
}

}  // namespace corsd::decision_log
