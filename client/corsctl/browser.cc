#include "client/corsctl/browser.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace corsd::corsctl {

namespace {

constexpr absl::string_view kBlock = "the browser will block this response: ";

// All values of header `name` (lowercase), joined as a browser combines
// repeated headers, and how many times it appeared.
std::string Get(const Headers& headers, absl::string_view name, int* count) {
  std::string value;
  *count = 0;
  for (const corsd::v1::Header& h : headers) {
    if (!absl::EqualsIgnoreCase(h.name(), name)) continue;
    if (*count > 0) value += ", ";
    value += h.value();
    ++*count;
  }
  return value;
}

std::vector<std::string> SplitList(absl::string_view value, bool lower) {
  std::vector<std::string> out;
  for (absl::string_view piece : absl::StrSplit(value, ',')) {
    piece = absl::StripAsciiWhitespace(piece);
    if (piece.empty()) continue;
    out.push_back(lower ? absl::AsciiStrToLower(piece) : std::string(piece));
  }
  return out;
}

bool Contains(const std::vector<std::string>& list, absl::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

bool IsSafelistedMethod(absl::string_view method) {
  return method == "GET" || method == "HEAD" || method == "POST";
}

}  // namespace

std::string NormalizeMethod(absl::string_view method) {
  for (absl::string_view m :
       {"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"}) {
    if (absl::EqualsIgnoreCase(method, m)) return std::string(m);
  }
  return std::string(method);
}

bool IsSafelistedRequestHeader(const PageHeader& header) {
  std::string name = absl::AsciiStrToLower(header.name);
  if (name == "accept" || name == "accept-language" ||
      name == "content-language") {
    return true;
  }
  if (name == "content-type") {
    if (!header.value.has_value()) return false;
    std::string essence = absl::AsciiStrToLower(absl::StripAsciiWhitespace(
        absl::string_view(*header.value).substr(0, header.value->find(';'))));
    return essence == "application/x-www-form-urlencoded" ||
           essence == "multipart/form-data" || essence == "text/plain";
  }
  if (name == "range") {
    // Only a simple "bytes=N-" or "bytes=N-M" range is safelisted.
    if (!header.value.has_value()) return false;
    absl::string_view v = *header.value;
    if (!absl::ConsumePrefix(&v, "bytes=")) return false;
    size_t dash = v.find('-');
    if (dash == 0 || dash == absl::string_view::npos) return false;
    for (size_t i = 0; i < v.size(); ++i) {
      if (i != dash && !absl::ascii_isdigit(static_cast<unsigned char>(v[i]))) {
        return false;
      }
    }
    return true;
  }
  return false;
}

std::vector<std::string> UnsafeHeaderNames(const BrowserRequest& request) {
  std::vector<std::string> names;
  for (const PageHeader& h : request.headers) {
    if (!IsSafelistedRequestHeader(h)) {
      names.push_back(absl::AsciiStrToLower(h.name));
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

bool NeedsPreflight(const BrowserRequest& request) {
  return request.force_preflight ||
         !IsSafelistedMethod(NormalizeMethod(request.method)) ||
         !UnsafeHeaderNames(request).empty();
}

BrowserVerdict CorsCheck(const BrowserRequest& request,
                         const Headers& headers) {
  int count = 0;
  std::string allow_origin =
      Get(headers, "access-control-allow-origin", &count);
  if (count == 0) {
    return {false,
            absl::StrCat(kBlock, "Access-Control-Allow-Origin is missing")};
  }
  if (count > 1) {
    return {false, absl::StrCat(kBlock, "Access-Control-Allow-Origin is sent ",
                                count, " times (\"", allow_origin,
                                "\"); exactly one value is allowed")};
  }
  if (allow_origin == "*") {
    if (request.credentials) {
      return {false,
              absl::StrCat(kBlock,
                           "Access-Control-Allow-Origin is \"*\", which a "
                           "request with credentials never accepts (it needs "
                           "the exact origin ",
                           request.origin, ")")};
    }
    return {true,
            "Access-Control-Allow-Origin \"*\" covers this request "
            "without credentials"};
  }
  if (allow_origin != request.origin) {
    return {false, absl::StrCat(kBlock, "Access-Control-Allow-Origin is \"",
                                allow_origin, "\", not the page's origin \"",
                                request.origin, "\"")};
  }
  if (request.credentials) {
    std::string allow_credentials =
        Get(headers, "access-control-allow-credentials", &count);
    if (allow_credentials != "true") {
      return {
          false,
          absl::StrCat(kBlock,
                       "the request has credentials but "
                       "Access-Control-Allow-Credentials is ",
                       count == 0 ? std::string("missing")
                                  : absl::StrCat("\"", allow_credentials, "\""),
                       " (expected \"true\")")};
    }
  }
  return {true,
          absl::StrCat("Access-Control-Allow-Origin matches ", request.origin,
                       request.credentials
                           ? " and Access-Control-Allow-Credentials is "
                             "true"
                           : "")};
}

BrowserVerdict PreflightCheck(const BrowserRequest& request, uint32_t status,
                              const Headers& headers) {
  if (status < 200 || status > 299) {
    return {false, absl::StrCat("the browser will block the request: the "
                                "preflight was answered ",
                                status, ", not a 2xx status")};
  }
  BrowserVerdict cors = CorsCheck(request, headers);
  if (!cors.ok) {
    cors.sentence = absl::StrCat(
        "the browser will block the request: the preflight fails the CORS "
        "check: ",
        absl::string_view(cors.sentence).substr(kBlock.size()));
    return cors;
  }
  int count = 0;
  std::vector<std::string> methods =
      SplitList(Get(headers, "access-control-allow-methods", &count), false);
  const std::string method = NormalizeMethod(request.method);
  const bool method_wildcard = !request.credentials && Contains(methods, "*");
  if (!Contains(methods, method) && !IsSafelistedMethod(method) &&
      !method_wildcard) {
    return {false,
            absl::StrCat("the browser will block the request: "
                         "Access-Control-Allow-Methods lacks ",
                         method,
                         count == 0 ? " (the header is missing)"
                                    : absl::StrCat(" (it allows \"",
                                                   Get(headers,
                                                       "access-control-allow-"
                                                       "methods",
                                                       &count),
                                                   "\")"))};
  }
  std::vector<std::string> allowed =
      SplitList(Get(headers, "access-control-allow-headers", &count), true);
  const bool header_wildcard = !request.credentials && Contains(allowed, "*");
  for (const std::string& name : UnsafeHeaderNames(request)) {
    if (Contains(allowed, name)) continue;
    if (header_wildcard && name != "authorization") continue;
    std::string why =
        name == "authorization" && header_wildcard
            ? " (\"*\" never covers authorization)"
        : Contains(allowed, "*") && request.credentials
            ? " (\"*\" does not apply to requests with credentials)"
            : "";
    return {false, absl::StrCat("the browser will block the request: "
                                "Access-Control-Allow-Headers lacks ",
                                name, why)};
  }
  return {true, "the preflight passes: the browser will send the request"};
}

std::vector<std::string> ReadableResponseHeaders(const BrowserRequest& request,
                                                 const Headers& headers) {
  std::vector<std::string> out = {
      "cache-control", "content-language", "content-length", "content-type",
      "expires",       "last-modified",    "pragma"};
  int count = 0;
  for (const std::string& name :
       SplitList(Get(headers, "access-control-expose-headers", &count), true)) {
    if (name == "*") {
      out.push_back(request.credentials
                        ? "(\"*\" ignored: the request has credentials)"
                        : "* (every header but set-cookie)");
      continue;
    }
    if (!Contains(out, name)) out.push_back(name);
  }
  return out;
}

}  // namespace corsd::corsctl
