#include "service/proof/http_response.h"

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace corsd::proof {
namespace {

// A chunk-size line (with its extensions) or a trailer line longer than this
// is refused: it bounds how long a reader waits for a line end.
constexpr size_t kMaxChunkLineBytes = 4096;

// Splits the first line off `*rest`: the bytes before the first LF, without
// a CR just before it. False when `*rest` holds no LF.
bool NextLine(absl::string_view* rest, absl::string_view* line) {
  const size_t lf = rest->find('\n');
  if (lf == absl::string_view::npos) return false;
  absl::string_view l = rest->substr(0, lf);
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  *line = l;
  rest->remove_prefix(lf + 1);
  return true;
}

bool IsTokenChar(char c) {
  if (absl::ascii_isalnum(static_cast<unsigned char>(c))) return true;
  return absl::string_view("!#$%&'*+-.^_`|~").find(c) !=
         absl::string_view::npos;
}

bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

// Names the first forbidden byte of a line (NUL, CR, or a control byte
// other than tab), or returns "" when there is none.
absl::string_view ForbiddenByte(absl::string_view line) {
  for (const char ch : line) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0) return "NUL";
    if (c == '\r') return "CR";
    if ((c < 0x20 && c != '\t') || c == 0x7F) return "a control byte";
  }
  return "";
}

absl::string_view TrimOws(absl::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::Status ParseStatusLine(absl::string_view line, int* status) {
  if (const absl::string_view bad = ForbiddenByte(line); !bad.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("status line ", QuoteForMessage(line), " holds ", bad));
  }
  // "HTTP/1.x SP 3DIGIT [SP reason]"
  if (line.size() < 12 || !absl::StartsWith(line, "HTTP/1.") ||
      !IsDigit(line[7]) || line[8] != ' ' || !IsDigit(line[9]) ||
      !IsDigit(line[10]) || !IsDigit(line[11]) ||
      (line.size() > 12 && line[12] != ' ')) {
    return absl::InvalidArgumentError(
        absl::StrCat("status line ", QuoteForMessage(line),
                     " is not \"HTTP/1.x <3-digit status> [reason]\""));
  }
  const int code =
      (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  if (code < 100 || code > 599) {
    return absl::InvalidArgumentError(
        absl::StrCat("status ", code, " in status line ", QuoteForMessage(line),
                     " is outside 100-599"));
  }
  *status = code;
  return absl::OkStatus();
}

// Checks one "name: value" line (a response header or a chunked trailer)
// and splits it. `what` is "header" or "trailer".
absl::Status SplitField(absl::string_view line, absl::string_view what,
                        absl::string_view* name, absl::string_view* value) {
  if (line.front() == ' ' || line.front() == '\t') {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " line ", QuoteForMessage(line),
                     " starts with white space (obsolete line folding)"));
  }
  if (const absl::string_view bad = ForbiddenByte(line); !bad.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " line ", QuoteForMessage(line), " holds ", bad));
  }
  const size_t colon = line.find(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " line ", QuoteForMessage(line), " has no ':'"));
  }
  *name = line.substr(0, colon);
  if (!IsToken(*name)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " name ", QuoteForMessage(*name),
                     " is not a token (letters, digits, !#$%&'*+-.^_`|~)"));
  }
  *value = TrimOws(line.substr(colon + 1));
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ParseContentLength(absl::string_view value) {
  if (value.empty() || value.size() > 19) {
    return absl::InvalidArgumentError(
        absl::StrCat("Content-Length ", QuoteForMessage(value),
                     " is not a decimal number of 1-19 digits"));
  }
  uint64_t n = 0;
  for (const char c : value) {
    if (!IsDigit(c)) {
      return absl::InvalidArgumentError(
          absl::StrCat("Content-Length ", QuoteForMessage(value),
                       " is not a decimal number of 1-19 digits"));
    }
    n = n * 10 + static_cast<uint64_t>(c - '0');  // 19 digits fit
  }
  return n;
}

// Parses a chunk-size line: 1-16 hex digits, optional spaces or tabs, then
// the end or ';' and extensions (skipped, checked for control bytes).
absl::StatusOr<uint64_t> ParseChunkSize(absl::string_view line) {
  size_t i = 0;
  uint64_t size = 0;
  while (i < line.size() && HexValue(line[i]) >= 0) {
    if (i == 16) {
      return absl::InvalidArgumentError(
          absl::StrCat("chunk size ", QuoteForMessage(line),
                       " has more than 16 hex digits"));
    }
    size = size * 16 + static_cast<uint64_t>(HexValue(line[i]));
    ++i;
  }
  if (i == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "chunk size line ", QuoteForMessage(line), " does not start with hex"));
  }
  absl::string_view rest = TrimOws(line.substr(i));
  if (!rest.empty() && rest.front() != ';') {
    return absl::InvalidArgumentError(
        absl::StrCat("chunk size line ", QuoteForMessage(line),
                     " has bytes after the size that are not an extension"));
  }
  if (const absl::string_view bad = ForbiddenByte(rest); !bad.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "chunk extension ", QuoteForMessage(rest), " holds ", bad));
  }
  return size;
}

// Whether an unfinished chunk-size line can still become valid.
absl::Status CheckPartialChunkSize(absl::string_view partial) {
  if (!partial.empty() && partial.back() == '\r') partial.remove_suffix(1);
  if (partial.empty()) return absl::OkStatus();
  if (partial.size() > kMaxChunkLineBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("chunk size line over ", kMaxChunkLineBytes, " bytes"));
  }
  return ParseChunkSize(partial).status();
}

}  // namespace

std::string QuoteForMessage(absl::string_view value, size_t max_bytes) {
  const bool cut = value.size() > max_bytes;
  return absl::StrCat("\"", absl::CHexEscape(value.substr(0, max_bytes)),
                      cut ? "..." : "", "\"");
}

absl::StatusOr<HttpResponseHead> ParseResponseHead(absl::string_view bytes) {
  absl::string_view rest = bytes;
  absl::string_view line;
  if (!NextLine(&rest, &line)) {
    return absl::InvalidArgumentError(
        absl::StrCat("response head ", QuoteForMessage(bytes),
                     " does not end with a blank line"));
  }
  HttpResponseHead head;
  if (absl::Status s = ParseStatusLine(line, &head.status); !s.ok()) return s;

  size_t headers = 0;
  bool have_location = false;
  bool have_transfer_encoding = false;
  for (;;) {
    if (!NextLine(&rest, &line)) {
      return absl::InvalidArgumentError(
          absl::StrCat("response head does not end with a blank line (last "
                       "bytes: ",
                       QuoteForMessage(rest), ")"));
    }
    if (line.empty()) break;
    if (++headers > kMaxResponseHeaders) {
      return absl::InvalidArgumentError(absl::StrCat(
          "response head has more than ", kMaxResponseHeaders, " headers"));
    }
    absl::string_view name;
    absl::string_view value;
    if (absl::Status s = SplitField(line, "header", &name, &value); !s.ok()) {
      return s;
    }
    if (absl::EqualsIgnoreCase(name, "content-length")) {
      absl::StatusOr<uint64_t> n = ParseContentLength(value);
      if (!n.ok()) return n.status();
      if (head.content_length.has_value() && *head.content_length != *n) {
        return absl::InvalidArgumentError(
            absl::StrCat("Content-Length repeated with different values (",
                         *head.content_length, " and ", *n, ")"));
      }
      head.content_length = *n;
    } else if (absl::EqualsIgnoreCase(name, "transfer-encoding")) {
      if (have_transfer_encoding) {
        return absl::InvalidArgumentError("Transfer-Encoding repeated");
      }
      have_transfer_encoding = true;
      if (!absl::EqualsIgnoreCase(value, "chunked")) {
        return absl::InvalidArgumentError(
            absl::StrCat("Transfer-Encoding ", QuoteForMessage(value),
                         " is not \"chunked\" (the only coding read)"));
      }
      head.chunked = true;
    } else if (absl::EqualsIgnoreCase(name, "location")) {
      if (have_location && head.location != value) {
        return absl::InvalidArgumentError(
            absl::StrCat("Location repeated with different values (",
                         QuoteForMessage(head.location), " and ",
                         QuoteForMessage(value), ")"));
      }
      have_location = true;
      head.location = std::string(value);
    }
  }
  if (!rest.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bytes after the blank line ending the response head: ",
                     QuoteForMessage(rest)));
  }
  if (head.chunked && head.content_length.has_value()) {
    return absl::InvalidArgumentError(
        "both Transfer-Encoding and Content-Length (an ambiguous length)");
  }
  return head;
}

absl::StatusOr<std::string> DecodeChunked(absl::string_view body,
                                          size_t max_bytes) {
  std::string out;
  absl::string_view rest = body;
  absl::string_view line;
  for (;;) {
    if (!NextLine(&rest, &line)) {
      if (absl::Status s = CheckPartialChunkSize(rest); !s.ok()) return s;
      return absl::OutOfRangeError(
          absl::StrCat("chunked body ends inside a chunk size line after ",
                       out.size(), " decoded bytes"));
    }
    if (line.size() > kMaxChunkLineBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("chunk size line over ", kMaxChunkLineBytes, " bytes"));
    }
    absl::StatusOr<uint64_t> size = ParseChunkSize(line);
    if (!size.ok()) return size.status();
    if (*size == 0) break;
    if (*size > max_bytes - out.size()) {
      return absl::ResourceExhaustedError(
          absl::StrCat("chunked body over ", max_bytes, " bytes (a chunk of ",
                       *size, " after ", out.size(), ")"));
    }
    const auto n = static_cast<size_t>(*size);
    if (rest.size() < n) {
      return absl::OutOfRangeError(
          absl::StrCat("chunked body ends inside a chunk of ", n, " bytes"));
    }
    out.append(rest.data(), n);
    rest.remove_prefix(n);
    if (absl::StartsWith(rest, "\r\n")) {
      rest.remove_prefix(2);
    } else if (absl::StartsWith(rest, "\n")) {
      rest.remove_prefix(1);
    } else if (rest.empty() || rest == "\r") {
      return absl::OutOfRangeError(
          "chunked body ends before the line end after a chunk");
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("chunk data of ", n, " bytes is followed by ",
                       QuoteForMessage(rest), ", not a line end"));
    }
  }
  // The last chunk was read: trailer lines, then a blank line.
  size_t trailers = 0;
  for (;;) {
    if (!NextLine(&rest, &line)) {
      if (rest.size() > kMaxChunkLineBytes) {
        return absl::InvalidArgumentError(
            absl::StrCat("trailer line over ", kMaxChunkLineBytes, " bytes"));
      }
      return absl::OutOfRangeError(
          "chunked body ends before the blank line after the last chunk");
    }
    if (line.empty()) break;
    if (line.size() > kMaxChunkLineBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("trailer line over ", kMaxChunkLineBytes, " bytes"));
    }
    if (++trailers > kMaxResponseHeaders) {
      return absl::InvalidArgumentError(absl::StrCat(
          "chunked body has more than ", kMaxResponseHeaders, " trailers"));
    }
    absl::string_view name;
    absl::string_view value;
    if (absl::Status s = SplitField(line, "trailer", &name, &value); !s.ok()) {
      return s;
    }
  }
  if (!rest.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bytes after the end of the chunked body: ", QuoteForMessage(rest)));
  }
  return out;
}

}  // namespace corsd::proof
