#include "service/origin/host.h"

#include <unicode/uidna.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "service/origin/ip_address.h"

namespace corsd::origin::internal {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(absl::string_view input) {
  std::string out;
  out.reserve(input.size());
  for (size_t i = 0; i < input.size(); ++i) {
    if (input[i] == '%' && i + 2 < input.size() &&
        HexValue(input[i + 1]) >= 0 && HexValue(input[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(input[i + 1]) * 16 +
                                      HexValue(input[i + 2])));
      i += 2;
    } else {
      out.push_back(input[i]);
    }
  }
  return out;
}

bool IsAscii(absl::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// The UTS 46 processor the URL standard asks for. CheckHyphens and
// VerifyDnsLength are off there, so their ICU errors are ignored below.
const UIDNA* Uts46() {
  static const UIDNA* const idna = [] {
    UErrorCode status = U_ZERO_ERROR;
    UIDNA* created = uidna_openUTS46(UIDNA_CHECK_BIDI | UIDNA_CHECK_CONTEXTJ |
                                         UIDNA_NONTRANSITIONAL_TO_ASCII |
                                         UIDNA_NONTRANSITIONAL_TO_UNICODE,
                                     &status);
    return U_SUCCESS(status) ? created : nullptr;
  }();
  return idna;
}

constexpr uint32_t kIgnoredIdnaErrors =
    UIDNA_ERROR_EMPTY_LABEL | UIDNA_ERROR_LABEL_TOO_LONG |
    UIDNA_ERROR_DOMAIN_NAME_TOO_LONG | UIDNA_ERROR_LEADING_HYPHEN |
    UIDNA_ERROR_TRAILING_HYPHEN | UIDNA_ERROR_HYPHEN_3_4;

// UTS 46 mapping changes since the Unicode version of Debian 12's ICU 72
// (Unicode 15.0), e.g. U+1E9E now maps to U+00DF and U+180E is ignored.
struct MappingUpdate {
  uint32_t code_point;
  const char* utf8;  // the current mapping; "" when now ignored
};
constexpr MappingUpdate kUts46Updates[] = {
#include "service/origin/uts46_updates.inc"
};

const MappingUpdate* FindUpdate(uint32_t cp) {
  const MappingUpdate* begin = std::begin(kUts46Updates);
  const MappingUpdate* end = std::end(kUts46Updates);
  const MappingUpdate* it = std::lower_bound(
      begin, end, cp,
      [](const MappingUpdate& u, uint32_t v) { return u.code_point < v; });
  return it != end && it->code_point == cp ? it : nullptr;
}

// Decodes one UTF-8 sequence at s[i]; returns its length (0 if malformed).
size_t DecodeUtf8(absl::string_view s, size_t i, uint32_t* cp) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  size_t len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
  if (len == 0 || i + len > s.size()) return 0;
  uint32_t v = len == 1 ? c : (c & (0x7f >> len));
  for (size_t k = 1; k < len; ++k) {
    const unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xc0) != 0x80) return 0;
    v = (v << 6) | (cc & 0x3f);
  }
  *cp = v;
  return len;
}

// Applies kUts46Updates ahead of ICU, which then maps everything else.
std::string ApplyMappingUpdates(absl::string_view domain) {
  std::string out;
  out.reserve(domain.size());
  for (size_t i = 0; i < domain.size();) {
    uint32_t cp = 0;
    const size_t len = DecodeUtf8(domain, i, &cp);
    if (len == 0) {  // malformed: ICU turns it into U+FFFD and fails
      out.push_back(domain[i++]);
      continue;
    }
    if (const MappingUpdate* update = len > 1 ? FindUpdate(cp) : nullptr) {
      out += update->utf8;
    } else {
      out.append(domain.data() + i, len);
    }
    i += len;
  }
  return out;
}

std::string CodePointName(unsigned char c) {
  return absl::StrFormat("U+%04X", c);
}

std::string PercentEncodeC0(absl::string_view input) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(input.size());
  for (char ch : input) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c > 0x7e) {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

// RFC 3492 Punycode of `cps` (already mapped, lowercase), appended at
// out[*n, capacity). False when it does not fit.
bool AppendPunycode(const uint32_t* cps, size_t count, char* out,
                    size_t capacity, size_t* n) {
  constexpr uint32_t kBase = 36, kTmin = 1, kTmax = 26, kSkew = 38, kDamp = 700;
  auto put = [&](char c) {
    if (*n >= capacity) return false;
    out[(*n)++] = c;
    return true;
  };
  auto digit = [](uint32_t d) {
    return static_cast<char>(d < 26 ? 'a' + d : '0' + (d - 26));
  };
  auto adapt = [](uint32_t delta, uint32_t points, bool first) {
    delta = first ? delta / kDamp : delta / 2;
    delta += delta / points;
    uint32_t k = 0;
    while (delta > ((kBase - kTmin) * kTmax) / 2) {
      delta /= kBase - kTmin;
      k += kBase;
    }
    return k + (kBase - kTmin + 1) * delta / (delta + kSkew);
  };
  uint32_t basic = 0;
  for (size_t i = 0; i < count; ++i) {
    if (cps[i] < 0x80) {
      if (!put(static_cast<char>(cps[i]))) return false;
      ++basic;
    }
  }
  if (basic > 0 && !put('-')) return false;
  uint32_t code = 0x80, delta = 0, bias = 72, handled = basic;
  while (handled < count) {
    uint32_t next = UINT32_MAX;
    for (size_t i = 0; i < count; ++i) {
      if (cps[i] >= code && cps[i] < next) next = cps[i];
    }
    delta += (next - code) * (handled + 1);
    code = next;
    for (size_t i = 0; i < count; ++i) {
      if (cps[i] < code) ++delta;
      if (cps[i] != code) continue;
      uint32_t q = delta;
      for (uint32_t k = kBase;; k += kBase) {
        const uint32_t t = k <= bias           ? kTmin
                           : k >= bias + kTmax ? kTmax
                                               : k - bias;
        if (q < t) break;
        if (!put(digit(t + (q - t) % (kBase - t)))) return false;
        q = (q - t) / (kBase - t);
      }
      if (!put(digit(q))) return false;
      bias = adapt(delta, handled + 1, handled == basic);
      delta = 0;
      ++handled;
    }
    ++delta;
    ++code;
  }
  return true;
}

// DomainToAscii without ICU for the common European IDN: every code point
// ASCII or a Latin-1 letter (U+00C0-U+00FF but U+00D7 and U+00F7), no label
// starting with "xn--" (ICU would decode and check it). For these UTS 46
// is plain: ASCII and U+00C0-U+00DE (but U+00D7) map to lowercase, every
// other one is valid as it is (U+00DF a deviation, kept when
// nontransitional), the string is already NFC, no label is right-to-left so
// CheckBidi never applies, CheckJoiners concerns U+200C/U+200D only, and
// hyphen and length errors are ignored by the URL standard: each label
// with a non-ASCII letter becomes "xn--" + Punycode, the others are
// lowercased. Returns the length, or 0 when `domain` is not of this form,
// does not fit, or a code point has a mapping update.
size_t LatinDomainToAscii(absl::string_view domain, char* out,
                          size_t capacity) {
  constexpr size_t kMaxLabelCodePoints = 256;
  uint32_t cps[kMaxLabelCodePoints];
  size_t n = 0;
  size_t i = 0;
  while (i <= domain.size()) {
    // One label: [i, end).
    size_t count = 0;
    bool non_ascii = false;
    while (i < domain.size() && domain[i] != '.') {
      const unsigned char c = static_cast<unsigned char>(domain[i]);
      uint32_t cp = c;
      if (c >= 0x80) {
        // Latin-1 letters are C3 80..C3 BF in UTF-8.
        if (c != 0xc3 || i + 1 >= domain.size()) return 0;
        const unsigned char c2 = static_cast<unsigned char>(domain[i + 1]);
        if (c2 < 0x80 || c2 > 0xbf) return 0;
        cp = 0xc0 + (c2 - 0x80);
        if (cp == 0xd7 || cp == 0xf7 || FindUpdate(cp) != nullptr) return 0;
        if (cp <= 0xde) cp += 0x20;
        non_ascii = true;
        i += 2;
      } else {
        if (c >= 'A' && c <= 'Z') cp = c + ('a' - 'A');
        ++i;
      }
      if (count == kMaxLabelCodePoints) return 0;
      cps[count++] = cp;
    }
    if (count >= 4 && cps[0] == 'x' && cps[1] == 'n' && cps[2] == '-' &&
        cps[3] == '-') {
      return 0;
    }
    if (non_ascii) {
      if (n + 4 > capacity) return 0;
      std::memcpy(out + n, "xn--", 4);
      n += 4;
      if (!AppendPunycode(cps, count, out, capacity, &n)) return 0;
    } else {
      if (n + count > capacity) return 0;
      for (size_t k = 0; k < count; ++k) out[n++] = static_cast<char>(cps[k]);
    }
    if (i == domain.size()) break;
    if (n >= capacity) return 0;
    out[n++] = '.';
    ++i;
  }
  return n;
}

}  // namespace

bool IsForbiddenHostCodePoint(unsigned char c) {
  switch (c) {
    case 0x00:
    case '\t':
    case '\n':
    case '\r':
    case ' ':
    case '#':
    case '/':
    case ':':
    case '<':
    case '>':
    case '?':
    case '@':
    case '[':
    case '\\':
    case ']':
    case '^':
    case '|':
      return true;
    default:
      return false;
  }
}

bool IsForbiddenDomainCodePoint(unsigned char c) {
  return c < 0x20 || c == '%' || c == 0x7f || IsForbiddenHostCodePoint(c);
}

absl::StatusOr<std::string> DomainToAscii(absl::string_view domain) {
  if (IsAscii(domain)) return absl::AsciiStrToLower(domain);
  const UIDNA* idna = Uts46();
  if (idna == nullptr) {
    return absl::InternalError("ICU UTS 46 data is unavailable");
  }
  const std::string mapped = ApplyMappingUpdates(domain);
  std::string out(mapped.size() * 4 + 64, '\0');
  for (int attempt = 0; attempt < 2; ++attempt) {
    UErrorCode status = U_ZERO_ERROR;
    UIDNAInfo info = UIDNA_INFO_INITIALIZER;
    int32_t length = uidna_nameToASCII_UTF8(
        idna, mapped.data(), static_cast<int32_t>(mapped.size()), out.data(),
        static_cast<int32_t>(out.size()), &info, &status);
    if (status == U_BUFFER_OVERFLOW_ERROR && attempt == 0) {
      out.resize(static_cast<size_t>(length) + 1);
      continue;
    }
    if (U_FAILURE(status)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "host \"", domain, "\" could not be converted to ASCII (",
          u_errorName(status), ")"));
    }
    const uint32_t errors = info.errors & ~kIgnoredIdnaErrors;
    if (errors != 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "host \"%s\" is not a valid internationalized domain name "
          "(UTS 46 error bits 0x%x)",
          std::string(domain), errors));
    }
    out.resize(static_cast<size_t>(length));
    if (out.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("host \"", domain, "\" is empty after IDNA processing"));
    }
    return out;
  }
  return absl::InternalError("ICU UTS 46 output size changed between calls");
}

size_t DomainToAsciiInto(absl::string_view domain, char* out, size_t capacity) {
  if (IsAscii(domain) || capacity > INT32_MAX) return 0;
  if (size_t n = LatinDomainToAscii(domain, out, capacity)) return n;
  for (size_t i = 0; i < domain.size();) {
    uint32_t cp = 0;
    const size_t len = DecodeUtf8(domain, i, &cp);
    if (len == 0) return 0;
    if (len > 1 && FindUpdate(cp) != nullptr) return 0;
    i += len;
  }
  const UIDNA* idna = Uts46();
  if (idna == nullptr) return 0;
  UErrorCode status = U_ZERO_ERROR;
  UIDNAInfo info = UIDNA_INFO_INITIALIZER;
  const int32_t length = uidna_nameToASCII_UTF8(
      idna, domain.data(), static_cast<int32_t>(domain.size()), out,
      static_cast<int32_t>(capacity), &info, &status);
  // U_STRING_NOT_TERMINATED_WARNING when the result fills `out` exactly.
  if (U_FAILURE(status) || (info.errors & ~kIgnoredIdnaErrors) != 0 ||
      length <= 0 || static_cast<size_t>(length) > capacity) {
    return 0;
  }
  return static_cast<size_t>(length);
}

absl::StatusOr<Host> ParseHost(absl::string_view input, bool is_opaque) {
  Host host;
  if (!input.empty() && input.front() == '[') {
    if (input.back() != ']' || input.size() < 2) {
      return absl::InvalidArgumentError(absl::StrCat(
          "host \"", input, "\" opens '[' but does not end in ']'"));
    }
    Ipv6Pieces pieces;
    if (const char* error =
            ParseIpv6(input.substr(1, input.size() - 2), &pieces)) {
      return absl::InvalidArgumentError(
          absl::StrCat("host \"", input, "\": ", error));
    }
    char text[kMaxIpv6TextBytes];
    host.type = HostType::kIpv6;
    host.serialized = absl::StrCat(
        "[", absl::string_view(text, SerializeIpv6(pieces, text)), "]");
    return host;
  }
  if (is_opaque) {
    for (char c : input) {
      if (IsForbiddenHostCodePoint(static_cast<unsigned char>(c))) {
        return absl::InvalidArgumentError(
            absl::StrCat("host \"", input, "\" contains forbidden code point ",
                         CodePointName(static_cast<unsigned char>(c))));
      }
    }
    host.type = input.empty() ? HostType::kEmpty : HostType::kOpaque;
    host.serialized = PercentEncodeC0(input);
    return host;
  }
  if (input.empty()) {
    return absl::InvalidArgumentError("host is empty; expected a domain or IP");
  }
  absl::StatusOr<std::string> ascii = DomainToAscii(PercentDecode(input));
  if (!ascii.ok()) return ascii.status();
  for (char c : *ascii) {
    if (IsForbiddenDomainCodePoint(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError(
          absl::StrCat("host \"", input, "\" contains forbidden code point ",
                       CodePointName(static_cast<unsigned char>(c))));
    }
  }
  if (EndsInANumber(*ascii)) {
    uint32_t address;
    if (const char* error = ParseIpv4(*ascii, &address)) {
      return absl::InvalidArgumentError(
          absl::StrCat("host \"", input, "\" ends in a number but: ", error));
    }
    host.type = HostType::kIpv4;
    host.serialized = SerializeIpv4(address);
    return host;
  }
  host.type = HostType::kDomain;
  host.serialized = *std::move(ascii);
  return host;
}

}  // namespace corsd::origin::internal
