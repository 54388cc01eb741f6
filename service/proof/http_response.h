// The HTTP/1.x response codec of the HTTP proof of control: a strict,
// bounded parser of a response head and a decoder of a chunked body, both
// read from an untrusted server (whoever the customer's DNS points at).
// Anything the prover does not need is refused rather than guessed at: the
// caller turns a refusal into ProofOutcome::kBadResponse with the message.
//
// Pure functions over bytes: no I/O, no allocation beyond the results, safe
// to call from any number of threads at once.
#ifndef CORSD_SERVICE_PROOF_HTTP_RESPONSE_H_
#define CORSD_SERVICE_PROOF_HTTP_RESPONSE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace corsd::proof {

// At most this many header lines in a response head (the status line not
// counted); more is refused.
inline constexpr size_t kMaxResponseHeaders = 64;

// An error message quotes at most this many bytes of the offending value
// (C-escaped, cut ones followed by "...").
inline constexpr size_t kMaxQuotedBytes = 64;

// What the prover needs from a response head.
struct HttpResponseHead {
  int status = 0;        // 100-599
  std::string location;  // the Location value, OWS trimmed; "" when absent
  // The Content-Length value; absent when the header is absent.
  std::optional<uint64_t> content_length;
  // Transfer-Encoding: chunked (the only transfer coding accepted).
  bool chunked = false;
};

// Parses `bytes`, a response head from its first byte up to and including
// the blank line that ends it. Lines end in CRLF or in a bare LF.
//
// Accepted: a status line "HTTP/1.<digit> <3 digits>[ <reason>]" with the
// status in 100-599, then at most kMaxResponseHeaders "name: value" lines
// (name a token, matched case-insensitively; value with surrounding spaces
// and tabs trimmed).
//
// Returns InvalidArgument, with a message naming what was wrong and quoting
// at most kMaxQuotedBytes of the offending bytes, for: a head that does not
// end in a blank line; a status line that is not HTTP/1.x or has a status
// outside 100-599; a header line without ':' or with a name that is not a
// token (spaces before ':' included); a line starting with a space or tab
// (obsolete line folding); NUL, a CR not ending its line, or another control
// byte other than tab anywhere in the head; more than kMaxResponseHeaders
// headers; Content-Length that is not 1-19 decimal digits, or repeated with
// different values; Transfer-Encoding other than exactly "chunked" (any
// case), repeated, or together with Content-Length; Location repeated with
// different values.
absl::StatusOr<HttpResponseHead> ParseResponseHead(absl::string_view bytes);

// Decodes `body`, a chunked message body (RFC 9112 section 7.1) from its
// first chunk-size line through the last chunk, the optional trailer lines
// and the blank line that ends them. Chunk extensions are skipped; trailers
// are checked and dropped. Lines end in CRLF or a bare LF.
//
// Returns the decoded bytes, or:
//   * ResourceExhausted when the decoded size would exceed `max_bytes`
//     (reported as soon as a chunk-size line says so);
//   * OutOfRange when `body` is a well-formed but unfinished prefix of a
//     chunked body (a reader keeps reading on this one);
//   * InvalidArgument when it is malformed: a chunk size that is not 1-16
//     hex digits, chunk data not followed by a line end, a control byte in a
//     chunk extension or trailer, a trailer line without ':', more than
//     kMaxResponseHeaders trailer lines, or bytes after the end.
absl::StatusOr<std::string> DecodeChunked(absl::string_view body,
                                          size_t max_bytes);

// `value` cut to its first `max_bytes` bytes, C-escaped (so CR, LF, NUL and
// bytes over 0x7E show as escapes) and put in double quotes, with "..."
// before the closing quote when cut: how every message of this folder shows
// untrusted bytes.
std::string QuoteForMessage(absl::string_view value,
                            size_t max_bytes = kMaxQuotedBytes);

}  // namespace corsd::proof

#endif  // CORSD_SERVICE_PROOF_HTTP_RESPONSE_H_
