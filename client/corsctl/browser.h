// The browser's side of CORS, from the Fetch standard, for `corsctl check`:
// given what a page asks for and the headers corsd tells the gateway to send,
// what will the browser do? Each check answers in plain words that name the
// header at fault ("Access-Control-Allow-Headers lacks x-api-key").
//
// Covered: when a request needs a CORS preflight (non-safelisted method or
// request header, or forced); the CORS check (Access-Control-Allow-Origin
// and, with credentials, Access-Control-Allow-Credentials); the CORS-preflight
// checks (ok status, Access-Control-Allow-Methods, Access-Control-Allow-
// Headers with the "*" and Authorization rules); which response headers
// JavaScript may read. Not covered: redirects, Private Network Access, the
// preflight cache.
//
// Thread safety: pure functions.
#ifndef CORSD_CLIENT_CORSCTL_BROWSER_H_
#define CORSD_CLIENT_CORSCTL_BROWSER_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "corsd/v1/decision.pb.h"
#include "google/protobuf/repeated_field.h"

namespace corsd::corsctl {

// A request header the page sets: name (any case) and, when known, value.
struct PageHeader {
  std::string name;
  absl::optional<std::string> value;
};

// What a page's fetch() asks for.
struct BrowserRequest {
  std::string origin;  // serialized origin of the page
  std::string method;  // as the page wrote it; browsers uppercase the six
                       // standard methods (R7)
  std::vector<PageHeader> headers;
  bool credentials = false;      // credentials mode "include"
  bool force_preflight = false;  // e.g. upload listeners
};

using Headers = google::protobuf::RepeatedPtrField<corsd::v1::Header>;

// The method as the browser sends it: DELETE, GET, HEAD, OPTIONS, POST, PUT
// matched case-insensitively are uppercased; others are kept as written.
std::string NormalizeMethod(absl::string_view method);

// True for a CORS-safelisted request header (name and value; a
// content-type without a value counts as not safelisted: pages that set it
// usually send application/json).
bool IsSafelistedRequestHeader(const PageHeader& header);

// Lowercased, sorted, deduplicated names of the headers that are not
// safelisted: what Access-Control-Request-Headers carries.
std::vector<std::string> UnsafeHeaderNames(const BrowserRequest& request);

// Fetch: a preflight is needed when forced, when the method is not GET,
// HEAD or POST, or when a header is not safelisted.
bool NeedsPreflight(const BrowserRequest& request);

struct BrowserVerdict {
  bool ok = false;
  // Why, one sentence: "the browser will block this response:
  // Access-Control-Allow-Origin is missing", or what passes.
  std::string sentence;
};

// The CORS check of any response (preflight or actual) to `request`.
BrowserVerdict CorsCheck(const BrowserRequest& request, const Headers& headers);

// The CORS-preflight fetch's checks on a preflight response: status in
// 200..299, the CORS check, then methods and headers.
BrowserVerdict PreflightCheck(const BrowserRequest& request, uint32_t status,
                              const Headers& headers);

// Response header names JavaScript may read: the CORS-safelisted response
// headers plus Access-Control-Expose-Headers ("*" only without credentials).
std::vector<std::string> ReadableResponseHeaders(const BrowserRequest& request,
                                                 const Headers& headers);

}  // namespace corsd::corsctl

#endif  // CORSD_CLIENT_CORSCTL_BROWSER_H_
