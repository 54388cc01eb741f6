// Scheme table, origin serialization and the full-parse entry points of
// origin.h (CanonicalizeOrigin, CanonicalizeAdminOrigin).
#include "service/origin/origin.h"

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "service/origin/canonical_fast.h"
#include "service/origin/host.h"
#include "service/origin/url_parser.h"

namespace corsd::origin {
namespace {

using internal::ParsedUrl;

bool IsTupleScheme(absl::string_view scheme) {
  return scheme == "http" || scheme == "https" || scheme == "ws" ||
         scheme == "wss" || scheme == "ftp";
}

// The URL standard's origin of `url`, serialized.
std::string SerializeOriginOf(const ParsedUrl& url) {
  if (url.scheme == "blob") {
    if (!url.opaque_path) return "null";
    absl::StatusOr<ParsedUrl> inner = internal::ParseUrl(url.opaque_path_text);
    if (!inner.ok() || (inner->scheme != "http" && inner->scheme != "https")) {
      return "null";
    }
    return SerializeOriginOf(*inner);
  }
  if (!IsTupleScheme(url.scheme)) return "null";
  std::string out = absl::StrCat(url.scheme, "://", url.host.serialized);
  if (url.port != -1) absl::StrAppend(&out, ":", url.port);
  return out;
}

absl::Status AdminRefusal(absl::string_view input, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "origin \"", input, "\" ", why, "; expected scheme://host[:port]"));
}

}  // namespace

absl::string_view SchemeName(Scheme scheme) {
  switch (scheme) {
    case Scheme::kHttp:
      return "http";
    case Scheme::kHttps:
      return "https";
    case Scheme::kWs:
      return "ws";
    case Scheme::kWss:
      return "wss";
    case Scheme::kFtp:
      return "ftp";
  }
  return "";
}

uint16_t DefaultPort(Scheme scheme) {
  switch (scheme) {
    case Scheme::kHttp:
    case Scheme::kWs:
      return 80;
    case Scheme::kHttps:
    case Scheme::kWss:
      return 443;
    case Scheme::kFtp:
      return 21;
  }
  return 0;
}

absl::string_view HeaderCheckName(HeaderCheck check) {
  switch (check) {
    case HeaderCheck::kCanonical:
      return "canonical";
    case HeaderCheck::kNull:
      return "null";
    case HeaderCheck::kEmpty:
      return "empty";
    case HeaderCheck::kTooLong:
      return "too_long";
    case HeaderCheck::kUnsupportedScheme:
      return "unsupported_scheme";
    case HeaderCheck::kNotCanonical:
      return "not_canonical";
  }
  return "unknown";
}

// Both full-parse entries try, in order: the header check (~10 ns; its
// kCanonical means CanonicalizeOrigin gives `input` back, which the fuzz
// target checks, and a canonical tuple origin has none of what the admin
// rules refuse, port 0 never being kCanonical), the fast path
// (canonical_fast.h: the same answer as the general path or a refusal to
// answer, checked by canonical_fast_test and the fuzz target), the general
// path.
absl::StatusOr<std::string> CanonicalizeOrigin(absl::string_view input) {
  OriginParts parts;
  if (CheckOriginHeader(input, &parts) == HeaderCheck::kCanonical) {
    return std::string(input);
  }
  if (auto fast = internal::CanonicalizeOriginFast(
          input, internal::CanonicalMode::kOrigin)) {
    return *std::move(fast);
  }
  return internal::CanonicalizeOriginGeneral(input);
}

absl::StatusOr<std::string> CanonicalizeAdminOrigin(absl::string_view input) {
  // Most admin input (a control plane pushing what it stored) is already
  // canonical: the header check answers it.
  OriginParts parts;
  if (CheckOriginHeader(input, &parts) == HeaderCheck::kCanonical) {
    return std::string(input);
  }
  if (auto fast = internal::CanonicalizeOriginFast(
          input, internal::CanonicalMode::kAdmin)) {
    return *std::move(fast);
  }
  return internal::CanonicalizeAdminOriginGeneral(input);
}

namespace internal {

absl::StatusOr<std::string> CanonicalizeOriginGeneral(absl::string_view input) {
  absl::StatusOr<ParsedUrl> url = ParseUrl(input);
  if (!url.ok()) return url.status();
  return SerializeOriginOf(*url);
}

absl::StatusOr<std::string> CanonicalizeAdminOriginGeneral(
    absl::string_view input) {
  absl::StatusOr<ParsedUrl> url = internal::ParseUrl(input);
  if (!url.ok()) return url.status();
  if (url->scheme == "blob") {
    return AdminRefusal(input, "is a blob: URL (write its inner origin)");
  }
  if (!IsTupleScheme(url->scheme)) {
    return AdminRefusal(input, absl::StrCat("has scheme \"", url->scheme,
                                            "\", whose origin is opaque "
                                            "(expected http, https, ws, wss "
                                            "or ftp)"));
  }
  if (url->has_credentials || url->has_at_sign) {
    return AdminRefusal(input, "has userinfo (text before '@')");
  }
  if (url->path_segments != 0 && !url->path_is_root) {
    return AdminRefusal(input, "has a path other than \"/\"");
  }
  if (url->has_query) return AdminRefusal(input, "has a query ('?')");
  if (url->has_fragment) return AdminRefusal(input, "has a fragment ('#')");
  if (url->port == 0) {
    return AdminRefusal(input, "has port 0, which no browser can send");
  }
  return SerializeOriginOf(*url);
}

}  // namespace internal

absl::StatusOr<std::string> CanonicalizeHost(absl::string_view input) {
  if (input.size() > internal::kMaxUrlBytes) {
    return absl::InvalidArgumentError(absl::StrCat("host is ", input.size(),
                                                   " bytes; expected at most ",
                                                   internal::kMaxUrlBytes));
  }
  // Split off ":port": after "]" for IPv6, else after the last ':'.
  absl::string_view host = input;
  size_t colon = absl::string_view::npos;
  if (!input.empty() && input.front() == '[') {
    const size_t close = input.find(']');
    if (close != absl::string_view::npos && close + 1 < input.size()) {
      colon = close + 1;
    }
  } else {
    colon = input.rfind(':');
  }
  if (colon != absl::string_view::npos) {
    absl::string_view port = input.substr(colon + 1);
    if (input[colon] != ':' || port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "host \"", input, "\" has a bad port \"", input.substr(colon),
          "\"; expected host[:port] with port 0-65535"));
    }
    uint32_t value = 0;
    for (char d : port) value = value * 10 + static_cast<uint32_t>(d - '0');
    if (value > 65535) {
      return absl::InvalidArgumentError(absl::StrCat(
          "host \"", input, "\" has port ", value, " (expected 0-65535)"));
    }
    host = input.substr(0, colon);
  }
  if (host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("host \"", input, "\" is empty; expected a domain or IP"));
  }
  absl::StatusOr<internal::Host> parsed =
      internal::ParseHost(host, /*is_opaque=*/false);
  if (!parsed.ok()) return parsed.status();
  return std::move(parsed->serialized);
}

}  // namespace corsd::origin
