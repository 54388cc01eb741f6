// libFuzzer target for the HTTP proof's response codec (built with
// -DCORSD_FUZZ=ON). The first input byte selects what the rest is given to:
//   selector % 3 == 0: ParseResponseHead(rest);
//   selector % 3 == 1: DecodeChunked(rest, max) with max = (selector / 3) *
//                      64 (0 to 5440 bytes);
//   selector % 3 == 2: rest chunked by the encoder below (chunk sizes taken
//                      from the selector) and decoded again: the round trip
//                      gives rest back.
// Aborts when a contract does not hold:
//   * an accepted head has a status in 100-599, a Location without CR, LF or
//     NUL, and not both chunked and a Content-Length;
//   * decoded bytes never exceed max, and are never more than the input;
//   * every prefix of a valid chunked body is OutOfRange (asks for more);
//   * errors carry their documented codes and a message of bounded length
//     (quotes of the input are cut).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "service/proof/http_response.h"

namespace {

using corsd::proof::DecodeChunked;
using corsd::proof::HttpResponseHead;
using corsd::proof::ParseResponseHead;

// Every message quotes at most two values of kMaxQuotedBytes, each escaped
// to at most 4 bytes per byte, plus fixed text.
constexpr size_t kMaxMessageBytes = 2 * 4 * corsd::proof::kMaxQuotedBytes + 256;

void Check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "contract broken: %s\n", what);
  std::abort();
}

void CheckError(const absl::Status& s, bool chunked) {
  const absl::StatusCode c = s.code();
  Check(c == absl::StatusCode::kInvalidArgument ||
            (chunked && (c == absl::StatusCode::kOutOfRange ||
                         c == absl::StatusCode::kResourceExhausted)),
        "unexpected error code");
  Check(!s.message().empty(), "error without a message");
  Check(s.message().size() <= kMaxMessageBytes, "unbounded error message");
}

void FuzzHead(absl::string_view input) {
  absl::StatusOr<HttpResponseHead> head = ParseResponseHead(input);
  if (!head.ok()) {
    CheckError(head.status(), false);
    return;
  }
  Check(head->status >= 100 && head->status <= 599, "status out of range");
  Check(absl::string_view(head->location)
                .find_first_of(absl::string_view("\r\n\0", 3)) ==
            absl::string_view::npos,
        "CR, LF or NUL in Location");
  Check(!(head->chunked && head->content_length.has_value()),
        "chunked with a Content-Length");
}

void FuzzChunked(absl::string_view input, size_t max_bytes) {
  absl::StatusOr<std::string> decoded = DecodeChunked(input, max_bytes);
  if (!decoded.ok()) {
    CheckError(decoded.status(), true);
    return;
  }
  Check(decoded->size() <= max_bytes, "decoded over max");
  Check(decoded->size() <= input.size(), "decoded more than the input");
}

void FuzzRoundTrip(absl::string_view data, uint8_t selector) {
  const size_t step = 1 + selector % 7;
  std::string encoded;
  for (size_t i = 0; i < data.size(); i += step) {
    const absl::string_view chunk = data.substr(i, step);
    absl::StrAppend(&encoded, absl::Hex(chunk.size()),
                    selector & 0x80 ? ";ext=1" : "", "\r\n", chunk, "\r\n");
  }
  absl::StrAppend(&encoded, "0\r\n", selector & 0x40 ? "T: v\r\n" : "", "\r\n");
  absl::StatusOr<std::string> decoded = DecodeChunked(encoded, data.size());
  Check(decoded.ok(), "a valid chunked body refused");
  Check(*decoded == data, "round trip changed the bytes");
  if (encoded.size() <= 256) {
    for (size_t n = 0; n < encoded.size(); ++n) {
      Check(DecodeChunked(absl::string_view(encoded).substr(0, n), data.size())
                    .status()
                    .code() == absl::StatusCode::kOutOfRange,
            "a prefix of a valid body is not OutOfRange");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const absl::string_view rest(reinterpret_cast<const char*>(data + 1),
                               size - 1);
  switch (selector % 3) {
    case 0:
      FuzzHead(rest);
      break;
    case 1:
      FuzzChunked(rest, static_cast<size_t>(selector / 3) * 64);
      break;
    default:
      FuzzRoundTrip(rest, selector);
      break;
  }
  return 0;
}
