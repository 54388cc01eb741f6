// Key encoding and canonical-form checks. See origin_keys.h.
#include "service/table/origin_keys.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace corsd::table::keys {

std::string EncodeHostKey(origin::Scheme scheme, absl::string_view host,
                          uint16_t port) {
  std::string key;
  key.reserve(1 + host.size() + 2);
  key.push_back(static_cast<char>(Code(scheme, port)));
  key.append(host.data(), host.size());
  if (port != 0) {
    key.push_back(static_cast<char>(port >> 8));
    key.push_back(static_cast<char>(port & 0xFF));
  }
  return key;
}

std::string SerializeKey(absl::string_view key, bool wildcard) {
  if (key.empty()) return "";
  const uint8_t code = static_cast<uint8_t>(key[0]);
  const auto scheme = static_cast<origin::Scheme>(code & 0x7F);
  std::string out = absl::StrCat(origin::SchemeName(scheme), "://",
                                 wildcard ? "*." : "", HostOfKey(key));
  if ((code & 0x80) != 0 && key.size() >= 3) {
    const uint16_t port =
        static_cast<uint16_t>((static_cast<uint8_t>(key[key.size() - 2]) << 8) |
                              static_cast<uint8_t>(key[key.size() - 1]));
    absl::StrAppend(&out, ":", port);
  }
  return out;
}

bool IsIpHost(absl::string_view host) {
  if (host.empty()) return false;
  if (host[0] == '[') return true;
  if (absl::EndsWith(host, ".")) host.remove_suffix(1);
  const size_t dot = host.rfind('.');
  const absl::string_view last =
      dot == absl::string_view::npos ? host : host.substr(dot + 1);
  if (last.empty()) return false;
  for (char c : last) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

absl::Status CheckOrigin(absl::string_view value, origin::OriginParts* parts) {
  origin::OriginParts local;
  const origin::HeaderCheck check =
      origin::CheckOriginHeader(value, parts != nullptr ? parts : &local);
  if (check == origin::HeaderCheck::kCanonical) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "origin \"", value, "\" is not canonical (",
      origin::HeaderCheckName(check),
      "); expected the serialization origin::CanonicalizeAdminOrigin gives, "
      "e.g. \"https://app.example.com\""));
}

absl::StatusOr<WildcardKey> ParseWildcardKey(absl::string_view value) {
  const size_t sep = value.find("://");
  if (sep == absl::string_view::npos || value.substr(sep + 3, 2) != "*.") {
    return absl::InvalidArgumentError(absl::StrCat(
        "wildcard \"", value,
        "\" is not of the form scheme://*.domain[:port]; expected e.g. "
        "\"https://*.example.com\""));
  }
  const std::string candidate =
      absl::StrCat(value.substr(0, sep + 3), value.substr(sep + 5));
  origin::OriginParts parts;
  const origin::HeaderCheck check =
      origin::CheckOriginHeader(candidate, &parts);
  if (check != origin::HeaderCheck::kCanonical) {
    return absl::InvalidArgumentError(absl::StrCat(
        "wildcard \"", value, "\" is not canonical (",
        origin::HeaderCheckName(check),
        "); expected the form origin::ParseWildcard serializes, e.g. "
        "\"https://*.example.com\""));
  }
  if (IsIpHost(parts.host)) {
    return absl::InvalidArgumentError(
        absl::StrCat("wildcard \"", value, "\" is over the IP address \"",
                     parts.host, "\"; expected a domain"));
  }
  return WildcardKey{parts.scheme, std::string(parts.host), parts.port};
}

absl::Status CheckHost(absl::string_view value) {
  const std::string candidate = absl::StrCat("https://", value);
  origin::OriginParts parts;
  if (value.empty() ||
      origin::CheckOriginHeader(candidate, &parts) !=
          origin::HeaderCheck::kCanonical ||
      parts.port != 0 || parts.host.size() != value.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("host \"", value,
                     "\" is not a canonical host; expected the form "
                     "origin::CanonicalizeHost gives, without port, e.g. "
                     "\"api.example.com\""));
  }
  return absl::OkStatus();
}

}  // namespace corsd::table::keys
