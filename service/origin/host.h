// The WHATWG URL host parser: a URL's host string -> a domain (after
// percent-decoding and UTS 46 ToASCII), an IPv4 or IPv6 address, or an
// opaque host (non-special schemes). Internal to service/origin: the public
// API is origin.h.
//
// All functions are pure and thread-safe. DomainToAscii uses one shared,
// immutable ICU UTS 46 object created on first use (ICU documents UIDNA as
// safe for concurrent use once created).
#ifndef CORSD_SERVICE_ORIGIN_HOST_H_
#define CORSD_SERVICE_ORIGIN_HOST_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace corsd::origin::internal {

enum class HostType : uint8_t {
  kDomain = 0,  // an ASCII domain, lowercase ("xn--bcher-kva.de", "a.b.")
  kIpv4 = 1,    // dotted decimal ("127.0.0.1")
  kIpv6 = 2,    // bracketed, compressed ("[::1]")
  kOpaque = 3,  // percent-encoded opaque host of a non-special scheme
  kEmpty = 4,   // "" (file: URLs, non-special "scheme://")
};

struct Host {
  HostType type = HostType::kEmpty;
  std::string serialized;  // the URL standard's host serialization
};

// UTF-8 `domain` (already percent-decoded) -> ASCII, as the URL standard's
// "domain to ASCII" with beStrict = false: an all-ASCII domain is only
// lowercased; otherwise UTS 46 ToASCII, non-transitional, CheckBidi,
// CheckJoiners, no STD3 rules, no DNS length check, CheckHyphens off.
// InvalidArgument naming the domain when ToASCII fails or gives "".
// Does not apply the forbidden-code-point check (ParseHost does).
absl::StatusOr<std::string> DomainToAscii(absl::string_view domain);

// DomainToAscii for the fast path (canonical_fast.h), without allocating a
// std::string: writes the ASCII form of `domain` into out[0, capacity) and
// returns its length. Returns 0 -- "use DomainToAscii" -- whenever this
// cannot give DomainToAscii's exact answer cheaply: `domain` is all ASCII
// or has a code point whose UTS 46 mapping changed since ICU's Unicode
// version (uts46_updates.inc), ICU fails or reports an error bit that
// DomainToAscii does not ignore, the result is empty, or it does not fit.
// Otherwise the bytes are exactly what DomainToAscii returns. A domain of
// ASCII and Latin-1 letters ("bücher.de", "FAß.de") is converted without
// ICU (UTS 46 is plain there: lowercase, Punycode; host.cc says why);
// others go through ICU, whose own working memory (a few small mallocs per
// call) is not avoidable here.
size_t DomainToAsciiInto(absl::string_view domain, char* out, size_t capacity);

// The URL standard's host parser for `input` (as it appears in the URL,
// possibly percent-encoded, may be bracketed IPv6). `is_opaque` is true for
// non-special schemes. InvalidArgument naming the host and what is wrong
// for every input the standard fails; `input` must not be empty unless
// is_opaque (an empty opaque host is returned as kEmpty).
absl::StatusOr<Host> ParseHost(absl::string_view input, bool is_opaque);

// True for the URL standard's forbidden domain code points (ASCII only:
// C0 controls, space, # % / : < > ? @ [ \ ] ^ | and DEL).
bool IsForbiddenDomainCodePoint(unsigned char c);
// True for the forbidden host code points (a subset of the above).
bool IsForbiddenHostCodePoint(unsigned char c);

}  // namespace corsd::origin::internal

#endif  // CORSD_SERVICE_ORIGIN_HOST_H_
