// The two pieces every corsd JSON-lines log shares (the decision log here,
// the admin audit log in service/rpc/audit_log.h): opening its file for
// appending, and writing a string value so that a line stays plain ASCII
// whatever bytes a client sent.
//
// Thread safety: pure functions (OpenAppendFile makes one system call).
#ifndef CORSD_SERVICE_DECISION_LOG_LOG_FILE_H_
#define CORSD_SERVICE_DECISION_LOG_LOG_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace corsd::decision_log {

// Opens `path` for appending (O_APPEND | O_CLOEXEC), creating it with mode
// 0640 when missing; returns the descriptor, which the caller closes.
// Errors name `flag` and the path: NotFound (no such directory),
// PermissionDenied (EACCES, EPERM, EROFS), Internal (any other errno).
absl::StatusOr<int> OpenAppendFile(absl::string_view flag,
                                   const std::string& path);

// Appends `value` as a JSON string: '"' and '\' as \" and \\, every byte
// below 0x20, 0x7f and every byte 0x80 and above as \u00XX (lowercase hex:
// each \u00XX is the byte XX), and, when `cut`, "\u2026" (U+2026, which no
// input byte can produce) before the closing quote, to say the value was
// shortened.
void AppendJsonString(absl::string_view value, bool cut, std::string* out);

}  // namespace corsd::decision_log

#endif  // CORSD_SERVICE_DECISION_LOG_LOG_FILE_H_
