#include "service/decision_log/log_file.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace corsd::decision_log {

absl::StatusOr<int> OpenAppendFile(absl::string_view flag,
                                   const std::string& path) {
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd >= 0) return fd;
  const int err = errno;
  const std::string message = absl::StrCat(
      flag, " \"", path, "\": cannot be opened: ", std::strerror(err));
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(message);
    default:
      return absl::InternalError(message);
  }
}

void AppendJsonString(absl::string_view value, bool cut, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (const char ch : value) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"') {
      out->append("\\\"");
    } else if (c == '\\') {
      out->append("\\\\");
    } else if (c < 0x20 || c >= 0x7f) {
      const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
      out->append(esc, sizeof(esc));
    } else {
      out->push_back(ch);
    }
  }
  if (cut) out->append("\\u2026");
  out->push_back('"');
}

}  // namespace corsd::decision_log
