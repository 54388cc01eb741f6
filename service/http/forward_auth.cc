#include "service/http/forward_auth.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/policy/policy.h"

namespace corsd::http {
namespace {

std::string Shown(absl::string_view value) {
  constexpr size_t kShown = 64;
  if (value.size() <= kShown) return absl::StrCat("\"", value, "\"");
  return absl::StrCat("\"", value.substr(0, kShown), "...\"");
}

// The value of header `name` (joined with "," when repeated), or nullopt
// when absent; InvalidArgument when over the limit.
absl::Status Read(const httplib::Request& request, const std::string& name,
                  size_t limit, OriginalRequest* out,
                  absl::optional<absl::string_view>* value) {
  auto [begin, end] = request.headers.equal_range(name);
  if (begin == end) {
    *value = absl::nullopt;
    return absl::OkStatus();
  }
  absl::string_view result;
  if (std::next(begin) == end) {
    result = begin->second;
  } else {
    std::string joined;
    for (auto it = begin; it != end; ++it) {
      if (it != begin) joined.push_back(',');
      joined.append(it->second);
      if (joined.size() > limit) break;
    }
    out->storage.push_back(std::move(joined));
    result = out->storage.back();
  }
  if (result.size() > limit) {
    return absl::InvalidArgumentError(
        absl::StrCat("header ", name, " is ", result.size(),
                     " bytes; expected at most ", limit));
  }
  *value = result;
  return absl::OkStatus();
}

absl::Status ReadOr(const httplib::Request& request, const std::string& name,
                    size_t limit, OriginalRequest* out,
                    absl::string_view fallback, absl::string_view* value) {
  absl::optional<absl::string_view> v;
  if (absl::Status s = Read(request, name, limit, out, &v); !s.ok()) return s;
  *value = v.has_value() ? *v : fallback;
  return absl::OkStatus();
}

}  // namespace

absl::Status ParseOriginalRequest(const httplib::Request& request,
                                  const ForwardAuthOptions& options,
                                  OriginalRequest* out) {
  const size_t limit = options.max_header_value_bytes;
  absl::optional<absl::string_view> v;

  // Method.
  if (absl::Status s = Read(request, "X-Original-Method", limit, out, &v);
      !s.ok()) {
    return s;
  }
  if (!v.has_value() && options.require_original_method) {
    return absl::InvalidArgumentError(
        "header X-Original-Method is missing; expected the client's method "
        "(nginx: proxy_set_header X-Original-Method $request_method)");
  }
  out->method = v.has_value() ? *v : absl::string_view(request.method);
  if (out->method.empty() || out->method.size() > 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("header X-Original-Method is ", Shown(out->method),
                     "; expected an HTTP method of 1 to 32 token characters"));
  }
  if (!policy::IsHttpToken(out->method)) {
    return absl::InvalidArgumentError(
        absl::StrCat("header X-Original-Method is ", Shown(out->method),
                     "; expected an HTTP method (token characters only)"));
  }

  absl::Status s;
  if (s = ReadOr(request, "X-Original-URI", limit, out, request.target,
                 &out->path);
      !s.ok()) {
    return s;
  }
  if (s = Read(request, "Host", limit, out, &v); !s.ok()) return s;
  const absl::string_view host_header = v.value_or("");
  if (s = ReadOr(request, "X-Original-Host", limit, out, host_header,
                 &out->host);
      !s.ok()) {
    return s;
  }
  if (s = ReadOr(request, "X-Original-Scheme", limit, out, "http",
                 &out->scheme);
      !s.ok()) {
    return s;
  }
  if (out->scheme != "http" && out->scheme != "https") {
    return absl::InvalidArgumentError(
        absl::StrCat("header X-Original-Scheme is ", Shown(out->scheme),
                     "; expected \"http\" or \"https\""));
  }

  if (!options.tenant_header.empty()) {
    if (s = ReadOr(request, options.tenant_header, limit, out, "",
                   &out->tenant);
        !s.ok()) {
      return s;
    }
  }

  if (s = Read(request, "Origin", limit, out, &out->origin); !s.ok()) {
    return s;
  }
  if (s = Read(request, "Access-Control-Request-Method", limit, out,
               &out->access_control_request_method);
      !s.ok()) {
    return s;
  }
  if (s = Read(request, "Access-Control-Request-Headers", limit, out,
               &out->access_control_request_headers);
      !s.ok()) {
    return s;
  }
  if (s = Read(request, "Access-Control-Request-Private-Network", limit, out,
               &out->access_control_request_private_network);
      !s.ok()) {
    return s;
  }
  // Upgrade and Connection are hop-by-hop: a proxy does not pass them on, so
  // the gateway copies them into X-Original-* (preferred when present).
  if (s = Read(request, "Upgrade", limit, out, &v); !s.ok()) return s;
  if (s = ReadOr(request, "X-Original-Upgrade", limit, out, v.value_or(""),
                 &out->upgrade);
      !s.ok()) {
    return s;
  }
  if (s = Read(request, "Connection", limit, out, &v); !s.ok()) return s;
  if (s = ReadOr(request, "X-Original-Connection", limit, out, v.value_or(""),
                 &out->connection);
      !s.ok()) {
    return s;
  }

  if (s = Read(request, "X-Corsd-Credentials", limit, out, &v); !s.ok()) {
    return s;
  }
  if (v.has_value()) {
    if (*v != "0" && *v != "1") {
      return absl::InvalidArgumentError(
          absl::StrCat("header X-Corsd-Credentials is ", Shown(*v),
                       "; expected \"0\" or \"1\""));
    }
    out->credentials = *v == "1";
  } else {
    out->credentials =
        request.has_header("Cookie") || request.has_header("Authorization");
  }
  return absl::OkStatus();
}

}  // namespace corsd::http
