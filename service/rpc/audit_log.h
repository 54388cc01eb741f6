// AuditLog: corsd's admin audit log (--audit-log). One JSON line per admin
// write -- every call of a mutating Admin RPC, refused or not, the
// unauthenticated ones included -- so an operator can tell afterwards who
// (which token) wrote what, to which tenants, and what came of it. One line,
// keys in this order:
//
//   {"time":"2026-12-07T21:04:05.123Z","token_id":"ci-shop",
//    "rpc":"WriteEntries","tenants":["shop","shop-eu"],"tenant_count":2,
//    "items":3,"dry_run":false,"revision":17,"outcome":"OK","message":""}
//
//   time          when the call finished, RFC 3339 UTC, milliseconds
//   token_id      the token's id (admin_auth.h: id= or its sha256:
//                 fingerprint); null when the call presented no valid token.
//                 Never the token.
//   rpc           the Admin method ("PutTenant", "Import", ...)
//   tenants       the distinct tenants the request named, in request order,
//                 at most kAuditMaxTenants of them
//   tenant_count  how many distinct tenants the request named (all of them)
//   items         the request's items (ops, tenants, domains; 1 for a
//                 single-object call)
//   dry_run       the request's dry_run
//   revision      the catalog revision the write produced; null when it
//                 produced none (refused, dry run)
//   outcome       "OK" or the status code's name ("PERMISSION_DENIED")
//   message       the status message ("" for OK), cut to 512 bytes
// Strings are escaped byte by byte as in the decision log: '"' and '\' as
// \" and \\, every byte below 0x20, 0x7f and 0x80 and above as \u00XX; a cut
// value ends in "\u2026".
//
// Writing: Write formats the line and write(2)s it whole before it returns,
// on the admin call's own thread, before the call's answer is sent, so every
// acknowledged write has its line in the file or a counted error
// (corsd_audit_log_write_errors_total; the failure is also printed on
// stderr). No fsync: a line survives a corsd crash, not a machine crash.
//
// Destinations: a file (created 0640 when missing, appended to), reopened on
// SIGHUP (Reopen, after logrotate renamed it); "-" for standard error (never
// reopened).
//
// Thread safety / invariants: every method may be called from any thread.
// Write and Reopen serialize on `mu_` (a line is never split between two
// files or interleaved with another); the counters are relaxed atomics
// (independent counts, read for reporting only).
#ifndef CORSD_SERVICE_RPC_AUDIT_LOG_H_
#define CORSD_SERVICE_RPC_AUDIT_LOG_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace corsd::rpc {

// Most tenant names one line lists (tenant_count counts them all).
inline constexpr size_t kAuditMaxTenants = 10;
// Longest status message kept in a line, in bytes.
inline constexpr size_t kAuditMaxMessageBytes = 512;

// One admin write.
struct AuditRecord {
  // "" when the call presented no valid token (written as null).
  std::string token_id;
  std::string rpc;
  // The first kAuditMaxTenants distinct tenants; more are ignored when
  // formatting.
  std::vector<std::string> tenants;
  uint64_t tenant_count = 0;
  uint64_t items = 0;
  bool dry_run = false;
  // 0: none (written as null).
  uint64_t revision = 0;
  absl::StatusCode code = absl::StatusCode::kOk;
  std::string message;
};

struct AuditLogOptions {
  // "-": standard error; otherwise a file. Required.
  std::string path;
  // Wall clock in microseconds since the Unix epoch; null: CLOCK_REALTIME.
  std::function<int64_t()> now_unix_micros = nullptr;
};

// Counters since Open; each read is a relaxed snapshot.
struct AuditLogStats {
  uint64_t lines = 0;         // written whole
  uint64_t write_errors = 0;  // lines a failed write() lost (or cut)
  uint64_t reopens = 0;       // successful Reopen calls
};

class AuditLog {
 public:
  // Opens the output. InvalidArgument for an empty path; NotFound /
  // PermissionDenied / Internal (errno's text, naming --audit-log and the
  // path) when the file cannot be opened.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(
      AuditLogOptions options);
  // Closes the file (not standard error).
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Writes `record`'s line (see the file comment); returns once it is
  // written or the failure is counted.
  void Write(const AuditRecord& record);

  // Opens the path again and continues in the new file; a no-op for "-". On
  // an error (Open's codes) the log keeps writing to the old file.
  absl::Status Reopen();

  AuditLogStats Stats() const;
  // Appends corsd_audit_log_lines_total and
  // corsd_audit_log_write_errors_total in Prometheus text format.
  void RenderPrometheus(std::string* out) const;

  // The line for `record` at `unix_micros`, "\n"-terminated.
  static std::string FormatLine(const AuditRecord& record, int64_t unix_micros);

 private:
  AuditLog(AuditLogOptions options, int fd);

  const AuditLogOptions options_;
  absl::Mutex mu_;
  int fd_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> lines_{0};
  std::atomic<uint64_t> write_errors_{0};
  std::atomic<uint64_t> reopens_{0};
};

}  // namespace corsd::rpc

#endif  // CORSD_SERVICE_RPC_AUDIT_LOG_H_
