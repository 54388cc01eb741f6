#include "service/domain/domain_name.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "service/origin/origin.h"
#include "service/table/public_suffix.h"

namespace corsd::domain {
namespace {

// At most this much of a refused value is quoted back.
constexpr size_t kShownBytes = 80;

std::string Shown(absl::string_view value) {
  if (value.size() <= kShownBytes) return absl::StrCat("\"", value, "\"");
  return absl::StrCat("\"", value.substr(0, kShownBytes), "...\" (",
                      value.size(), " bytes)");
}

absl::Status Refuse(absl::string_view value, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("host ", Shown(value), " ", why));
}

bool IsLdhLabel(absl::string_view label) {
  if (label.empty() || label.front() == '-' || label.back() == '-') {
    return false;
  }
  for (char c : label) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') {
      return false;
    }
  }
  return true;
}

// Shared by ParseDomainName and CanonicalizeAskedHost: everything but the
// public-suffix rules. `input` has no "*." prefix.
absl::StatusOr<std::string> CanonicalHostName(absl::string_view original,
                                              absl::string_view input) {
  if (input.empty()) {
    return Refuse(original, "is empty; expected a host name");
  }
  if (input.size() > 4 * kMaxDomainBytes) {
    return Refuse(original, absl::StrCat("is over ", kMaxDomainBytes,
                                         " bytes; expected a host name"));
  }
  if (input.front() == '[' || std::count(input.begin(), input.end(), ':') > 1) {
    return Refuse(original,
                  "is an IP address; expected a DNS name a certificate can "
                  "be issued for");
  }
  for (char c : input) {
    if (absl::string_view(":/?#@[]\\ ").find(c) != absl::string_view::npos) {
      return Refuse(original,
                    absl::StrCat("contains '", std::string(1, c),
                                 "'; expected a bare host name without "
                                 "scheme, port or path"));
    }
  }
  absl::StatusOr<std::string> host = origin::CanonicalizeHost(input);
  if (!host.ok()) {
    return Refuse(original, absl::StrCat("is not a valid host name (",
                                         host.status().message(),
                                         "); expected an IDNA-valid DNS name"));
  }
  const size_t last_dot = host->rfind('.');
  const absl::string_view last_label =
      last_dot == std::string::npos
          ? absl::string_view(*host)
          : absl::string_view(*host).substr(last_dot + 1);
  if (host->empty() || host->front() == '[' ||
      (!last_label.empty() &&
       std::all_of(last_label.begin(), last_label.end(), [](char c) {
         return absl::ascii_isdigit(static_cast<unsigned char>(c));
       }))) {
    return Refuse(original,
                  "is an IP address; expected a DNS name a certificate can "
                  "be issued for");
  }
  if (host->size() > kMaxDomainBytes) {
    return Refuse(original, absl::StrCat("is ", host->size(),
                                         " bytes after IDNA; "
                                         "expected at most ",
                                         kMaxDomainBytes));
  }
  for (absl::string_view label : absl::StrSplit(*host, '.')) {
    if (label.size() > kMaxLabelBytes) {
      return Refuse(original,
                    absl::StrCat("has a label of ", label.size(),
                                 " bytes; expected at most ", kMaxLabelBytes));
    }
    if (!IsLdhLabel(label)) {
      return Refuse(original,
                    absl::StrCat("has label ", Shown(label),
                                 "; expected letters, digits and inner "
                                 "hyphens only (a host name, RFC 1123)"));
    }
  }
  return host;
}

}  // namespace

absl::StatusOr<DomainName> ParseDomainName(absl::string_view input) {
  const absl::string_view original = input;
  input = absl::StripAsciiWhitespace(input);
  if (absl::EndsWith(input, ".")) input.remove_suffix(1);
  DomainName name;
  if (absl::StartsWith(input, "*.")) {
    name.wildcard = true;
    input.remove_prefix(2);
  }
  if (absl::StrContains(input, '*')) {
    return Refuse(original,
                  "has '*' other than as its whole first label; expected "
                  "\"shop.example.com\" or \"*.example.com\"");
  }
  absl::StatusOr<std::string> host = CanonicalHostName(original, input);
  if (!host.ok()) return host.status();
  if (name.wildcard && host->size() + 2 > kMaxDomainBytes) {
    return Refuse(original, absl::StrCat("is over ", kMaxDomainBytes,
                                         " bytes after IDNA"));
  }
  if (table::IsPublicSuffix(*host) || host->find('.') == std::string::npos) {
    return Refuse(original,
                  absl::StrCat(name.wildcard ? "is a wildcard over " : "is ",
                               "the public suffix \"", *host,
                               "\"; expected a name registered under one "
                               "(nobody can prove control of a suffix "
                               "others register under)"));
  }
  name.parent = *host;
  name.host = name.wildcard ? absl::StrCat("*.", *host) : *std::move(host);
  return name;
}

absl::StatusOr<std::string> CanonicalizeAskedHost(absl::string_view input) {
  const absl::string_view original = input;
  input = absl::StripAsciiWhitespace(input);
  if (absl::EndsWith(input, ".")) input.remove_suffix(1);
  if (absl::StrContains(input, '*')) {
    return Refuse(original, "contains '*'; expected a host name");
  }
  return CanonicalHostName(original, input);
}

std::string CoveringWildcard(absl::string_view host) {
  const size_t dot = host.find('.');
  if (dot == absl::string_view::npos) return "";
  const absl::string_view parent = host.substr(dot + 1);
  if (parent.find('.') == absl::string_view::npos) return "";
  return absl::StrCat("*.", parent);
}

}  // namespace corsd::domain
