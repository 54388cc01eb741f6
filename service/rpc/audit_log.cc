#include "service/rpc/audit_log.h"

#include <errno.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "service/decision_log/log_file.h"

namespace corsd::rpc {
namespace {

absl::StatusOr<int> OpenOutput(const std::string& path) {
  if (path == "-") return STDERR_FILENO;
  return decision_log::OpenAppendFile("--audit-log", path);
}

// Appends `value` as a JSON string (escaped as the file comment says), cut
// to `max` bytes.
void AppendString(absl::string_view value, size_t max, std::string* out) {
  const bool cut = value.size() > max;
  decision_log::AppendJsonString(cut ? value.substr(0, max) : value, cut, out);
}

int64_t RealtimeMicros() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

}  // namespace

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(
    AuditLogOptions options) {
  if (options.path.empty()) {
    return absl::InvalidArgumentError(
        "--audit-log: empty path; expected a file or \"-\" (standard error)");
  }
  absl::StatusOr<int> fd = OpenOutput(options.path);
  if (!fd.ok()) return fd.status();
  return std::unique_ptr<AuditLog>(new AuditLog(std::move(options), *fd));
}

AuditLog::AuditLog(AuditLogOptions options, int fd)
    : options_(std::move(options)), fd_(fd) {}

AuditLog::~AuditLog() {
  absl::MutexLock lock(&mu_);
  if (fd_ != STDERR_FILENO) ::close(fd_);
}

std::string AuditLog::FormatLine(const AuditRecord& r, int64_t unix_micros) {
  std::string line;
  line.reserve(256);
  const time_t seconds = static_cast<time_t>(unix_micros / 1'000'000);
  tm utc;
  gmtime_r(&seconds, &utc);
  absl::StrAppendFormat(
      &line, "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\"",
      utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
      utc.tm_sec, static_cast<int>((unix_micros / 1000) % 1000));
  line.append(",\"token_id\":");
  if (r.token_id.empty()) {
    line.append("null");
  } else {
    AppendString(r.token_id, 128, &line);
  }
  line.append(",\"rpc\":");
  AppendString(r.rpc, 64, &line);
  line.append(",\"tenants\":[");
  for (size_t i = 0; i < r.tenants.size() && i < kAuditMaxTenants; ++i) {
    if (i > 0) line.push_back(',');
    AppendString(r.tenants[i], 128, &line);
  }
  absl::StrAppend(
      &line, "],\"tenant_count\":", r.tenant_count, ",\"items\":", r.items,
      ",\"dry_run\":", r.dry_run ? "true" : "false", ",\"revision\":");
  if (r.revision == 0) {
    line.append("null");
  } else {
    absl::StrAppend(&line, r.revision);
  }
  line.append(",\"outcome\":");
  AppendString(r.code == absl::StatusCode::kOk
                   ? std::string("OK")
                   : absl::StatusCodeToString(r.code),
               64, &line);
  line.append(",\"message\":");
  AppendString(r.message, kAuditMaxMessageBytes, &line);
  line.append("}\n");
  return line;
}

void AuditLog::Write(const AuditRecord& record) {
  const int64_t now = options_.now_unix_micros != nullptr
                          ? options_.now_unix_micros()
                          : RealtimeMicros();
  const std::string line = FormatLine(record, now);
  int err = 0;
  {
    absl::MutexLock lock(&mu_);
    absl::string_view rest = line;
    while (!rest.empty()) {
      const ssize_t w = ::write(fd_, rest.data(), rest.size());
      if (w > 0) {
        rest.remove_prefix(static_cast<size_t>(w));
        continue;
      }
      if (w < 0 && errno == EINTR) continue;
      err = w < 0 ? errno : EIO;
      break;
    }
  }
  if (err == 0) {
    lines_.fetch_add(1, std::memory_order_relaxed);  // a count
    return;
  }
  write_errors_.fetch_add(1, std::memory_order_relaxed);  // a count
  std::fprintf(stderr, "corsd: --audit-log \"%s\": write failed (%s); line: %s",
               options_.path.c_str(), std::strerror(err), line.c_str());
}

absl::Status AuditLog::Reopen() {
  if (options_.path == "-") return absl::OkStatus();
  absl::StatusOr<int> opened = OpenOutput(options_.path);
  if (!opened.ok()) return opened.status();
  int old;
  {
    absl::MutexLock lock(&mu_);
    old = fd_;
    fd_ = *opened;
  }
  ::close(old);
  reopens_.fetch_add(1, std::memory_order_relaxed);  // a count
  return absl::OkStatus();
}

AuditLogStats AuditLog::Stats() const {
  AuditLogStats s;
  // Relaxed: independent counters, a reporting snapshot.
  s.lines = lines_.load(std::memory_order_relaxed);
  s.write_errors = write_errors_.load(std::memory_order_relaxed);
  s.reopens = reopens_.load(std::memory_order_relaxed);
  return s;
}

void AuditLog::RenderPrometheus(std::string* out) const {
  const AuditLogStats s = Stats();
  absl::StrAppend(
      out,
      "# HELP corsd_audit_log_lines_total Admin writes recorded in the audit "
      "log (--audit-log).\n"
      "# TYPE corsd_audit_log_lines_total counter\n"
      "corsd_audit_log_lines_total ",
      s.lines,
      "\n"
      "# HELP corsd_audit_log_write_errors_total Audit lines a failed write "
      "lost.\n"
      "# TYPE corsd_audit_log_write_errors_total counter\n"
      "corsd_audit_log_write_errors_total ",
      s.write_errors, "\n");
}

}  // namespace corsd::rpc
