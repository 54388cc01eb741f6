// Wildcard entries "scheme://*.domain[:port]": parsing and serialization.
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "service/origin/ip_address.h"
#include "service/origin/origin.h"

namespace corsd::origin {
namespace {

absl::Status WildcardError(absl::string_view input, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "wildcard \"", input, "\" ", why, "; expected scheme://*.domain[:port]"));
}

bool IsC0OrSpace(char c) { return static_cast<unsigned char>(c) <= 0x20; }

}  // namespace

std::string Wildcard::Serialize() const {
  std::string out = absl::StrCat(SchemeName(scheme), "://*.", domain);
  if (port != 0) absl::StrAppend(&out, ":", port);
  return out;
}

absl::StatusOr<Wildcard> ParseWildcard(absl::string_view input) {
  absl::string_view trimmed = input;
  while (!trimmed.empty() && IsC0OrSpace(trimmed.front())) {
    trimmed.remove_prefix(1);
  }
  while (!trimmed.empty() && IsC0OrSpace(trimmed.back())) {
    trimmed.remove_suffix(1);
  }
  const size_t marker = trimmed.find("://*.");
  if (marker == absl::string_view::npos) {
    return WildcardError(input, "has no \"://*.\" after the scheme");
  }
  const std::string scheme_text =
      absl::AsciiStrToLower(trimmed.substr(0, marker));
  Wildcard wildcard;
  if (scheme_text == "http") {
    wildcard.scheme = Scheme::kHttp;
  } else if (scheme_text == "https") {
    wildcard.scheme = Scheme::kHttps;
  } else if (scheme_text == "ws") {
    wildcard.scheme = Scheme::kWs;
  } else if (scheme_text == "wss") {
    wildcard.scheme = Scheme::kWss;
  } else if (scheme_text == "ftp") {
    wildcard.scheme = Scheme::kFtp;
  } else {
    return WildcardError(
        input, absl::StrCat("has scheme \"", scheme_text,
                            "\" (expected http, https, ws, wss or ftp)"));
  }
  // The equivalent origin, without the "*." label.
  const std::string equivalent = absl::StrCat(trimmed.substr(0, marker), "://",
                                              trimmed.substr(marker + 5));
  absl::StatusOr<std::string> origin = CanonicalizeAdminOrigin(equivalent);
  if (!origin.ok()) {
    return WildcardError(
        input, absl::StrCat("is not valid: ", origin.status().message()));
  }
  // origin is "scheme://host[:port]" in canonical form.
  absl::string_view rest = *origin;
  rest.remove_prefix(SchemeName(wildcard.scheme).size() + 3);
  if (!rest.empty() && rest.front() == '[') {
    return WildcardError(input, "is over an IPv6 address, not a domain");
  }
  const size_t colon = rest.find(':');
  absl::string_view host = rest.substr(0, colon);
  if (colon != absl::string_view::npos) {
    uint32_t port;
    if (!absl::SimpleAtoi(rest.substr(colon + 1), &port) || port > 65535) {
      return absl::InternalError(
          absl::StrCat("canonical origin \"", *origin, "\" has a bad port"));
    }
    wildcard.port = static_cast<uint16_t>(port);
  }
  if (internal::EndsInANumber(host)) {
    return WildcardError(input, "is over an IPv4 address, not a domain");
  }
  if (host.front() == '.' || host.find("..") != absl::string_view::npos) {
    return WildcardError(input, "has an empty domain label");
  }
  wildcard.domain = std::string(host);
  return wildcard;
}

}  // namespace corsd::origin
