// LineReader: reads a file descriptor line by line through one large buffer,
// handing out views into it: no allocation and no copy per line, which is what
// lets `corsctl import` parse millions of rows per second.
//
// Lines end at "\n"; the "\n" is not part of the line (a "\r" before it is,
// callers that accept CRLF strip it). A last line without "\n" is still a line.
// Every line is bounded: a line longer than max_line bytes is skipped whole and
// reported as too long, so a hostile file cannot make the reader grow.
//
// Thread safety: one thread at a time. The reader does not own the fd.
#ifndef CORSD_CLIENT_CORSCTL_LINE_READER_H_
#define CORSD_CLIENT_CORSCTL_LINE_READER_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace corsd::corsctl {

class LineReader {
 public:
  // `fd` must stay open while the reader is used. max_line >= 1.
  explicit LineReader(int fd, size_t max_line = 64 * 1024);

  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  struct Line {
    // The line's bytes; valid until the next call to Next. Empty when
    // too_long is set.
    absl::string_view text;
    // 1-based line number in the input.
    uint64_t number = 0;
    // The line was longer than max_line bytes and was skipped.
    bool too_long = false;
  };

  // Reads the next line into *line. Returns false at end of input or on a
  // read error (then status() is not ok).
  bool Next(Line* line);

  // OkStatus, or the read error (Internal, naming errno) that ended input.
  const absl::Status& status() const { return status_; }
  // Bytes consumed from the fd so far.
  uint64_t bytes_read() const { return bytes_read_; }
  size_t max_line() const { return max_line_; }

 private:
  // Moves unread bytes to the front and reads more. Returns false when no
  // byte was added (end of input or error).
  bool Fill();

  int fd_;
  size_t max_line_;
  std::vector<char> buf_;
  size_t begin_ = 0;  // first unread byte
  size_t end_ = 0;    // one past the last valid byte
  bool eof_ = false;
  uint64_t line_number_ = 0;
  uint64_t bytes_read_ = 0;
  absl::Status status_;
};

}  // namespace corsd::corsctl

#endif  // CORSD_CLIENT_CORSCTL_LINE_READER_H_
