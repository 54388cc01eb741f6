#include "client/corsctl/line_reader.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace corsd::corsctl {

namespace {
constexpr size_t kMinBuffer = 1 << 20;
}  // namespace

LineReader::LineReader(int fd, size_t max_line)
    : fd_(fd),
      max_line_(std::max<size_t>(max_line, 1)),
      buf_(std::max(kMinBuffer, 2 * max_line_ + 1)) {}

bool LineReader::Fill() {
  if (eof_) return false;
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  while (end_ < buf_.size()) {
    ssize_t n = ::read(fd_, buf_.data() + end_, buf_.size() - end_);
    if (n > 0) {
      end_ += static_cast<size_t>(n);
      bytes_read_ += static_cast<uint64_t>(n);
      return true;
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    if (errno == EINTR) continue;
    status_ = absl::InternalError(
        absl::StrCat("read failed: ", std::strerror(errno)));
    eof_ = true;
    return false;
  }
  return true;  // buffer full: the caller handles the long line
}

bool LineReader::Next(Line* line) {
  size_t scan_from = begin_;
  while (true) {
    const char* start = buf_.data() + begin_;
    const void* nl =
        std::memchr(buf_.data() + scan_from, '\n', end_ - scan_from);
    if (nl != nullptr) {
      size_t len = static_cast<const char*>(nl) - start;
      line->number = ++line_number_;
      line->too_long = len > max_line_;
      line->text =
          line->too_long ? absl::string_view() : absl::string_view(start, len);
      begin_ += len + 1;
      return true;
    }
    if (end_ - begin_ > max_line_) {
      // Too long: drop what we have and everything up to the next "\n".
      line->number = ++line_number_;
      line->too_long = true;
      line->text = absl::string_view();
      begin_ = end_ = 0;
      while (true) {
        if (!Fill()) return status_.ok();
        const void* found = std::memchr(buf_.data(), '\n', end_);
        if (found != nullptr) {
          begin_ = static_cast<const char*>(found) - buf_.data() + 1;
          return true;
        }
        begin_ = end_ = 0;
      }
    }
    size_t pending = end_ - begin_;
    if (!Fill()) {
      if (!status_.ok()) return false;
      if (end_ == begin_) return false;
      // Last line, without "\n".
      line->number = ++line_number_;
      line->too_long = false;
      line->text = absl::string_view(buf_.data() + begin_, end_ - begin_);
      begin_ = end_;
      return true;
    }
    scan_from = begin_ + pending;
  }
}

}  // namespace corsd::corsctl
