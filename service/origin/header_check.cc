// CheckOriginHeader: the hot path of origin.h. One pass over the value, no
// allocation: scheme prefix, host in canonical form, optional port, end.
//
// What "canonical" means here follows from the full parser (url_parser.cc,
// host.cc) for an input that is already a serialization:
//   * a domain host is ASCII-only (non-ASCII would become "xn--" labels), so
//     the URL standard only lowercases it: every byte must be printable
//     ASCII, not uppercase, and not a forbidden domain code point. "xn--"
//     labels are kept as written (WPT toascii.json: "xn--a" -> "xn--a"), so
//     they need no IDNA check. Empty labels and one trailing dot are kept.
//   * a host whose last label is numeric (digits, or "0x" + hex) is parsed
//     as IPv4 and serialized in dotted decimal: it must be exactly that.
//   * an IPv6 host must equal its own re-serialization.
//   * a port is kept unless it is the default; leading zeros are dropped.
#include <array>
#include <cstdint>
#include <cstring>

#include "service/origin/ip_address.h"
#include "service/origin/origin.h"

namespace corsd::origin {
namespace {

// Byte classes for a host's bytes. The scan loop stops at the first byte
// whose class is <= kColon.
enum : uint8_t {
  kBad = 0,     // not allowed in a canonical host
  kColon = 1,   // ':' ends the host (a port follows)
  kOther = 2,   // allowed, not a digit, not a hex letter, not '.'
  kDigit = 3,   // 0-9
  kHexLow = 4,  // a-f
  kDot = 5,     // '.'
};

constexpr std::array<uint8_t, 256> MakeHostClasses() {
  std::array<uint8_t, 256> table{};
  for (int c = 0x21; c <= 0x7e; ++c) table[c] = kOther;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = kBad;
  for (int c = '0'; c <= '9'; ++c) table[c] = kDigit;
  for (int c = 'a'; c <= 'f'; ++c) table[c] = kHexLow;
  table['.'] = kDot;
  // Forbidden domain code points (printable ones; the rest are kBad above).
  for (char c :
       {'#', '%', '/', ':', '<', '>', '?', '@', '[', '\\', ']', '^', '|'}) {
    table[static_cast<unsigned char>(c)] = kBad;
  }
  table[':'] = kColon;  // forbidden in a host, but it ends the host
  return table;
}
constexpr std::array<uint8_t, 256> kHostClasses = MakeHostClasses();

// 1 for bytes the host scan continues over (class > kColon), else 0.
constexpr std::array<uint8_t, 256> MakeHostContinues() {
  std::array<uint8_t, 256> table{};
  for (int c = 0; c < 256; ++c) table[c] = kHostClasses[c] > kColon;
  return table;
}
constexpr std::array<uint8_t, 256> kHostContinues = MakeHostContinues();

// The first byte of [p, end) that does not continue a host (or end).
// Eight independent lookups per step: the loads overlap.
const char* ScanHost(const char* p, const char* end) {
  const uint8_t* t = kHostContinues.data();
  while (end - p >= 8) {
    const unsigned char* u = reinterpret_cast<const unsigned char*>(p);
    if ((t[u[0]] & t[u[1]] & t[u[2]] & t[u[3]] & t[u[4]] & t[u[5]] & t[u[6]] &
         t[u[7]]) == 0) {
      break;
    }
    p += 8;
  }
  while (p != end && t[static_cast<unsigned char>(*p)]) ++p;
  return p;
}

bool IsAsciiAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c; }

// Classifies a value that does not start with a canonical tuple-scheme
// prefix: "scheme://" with some other scheme is kUnsupportedScheme; a tuple
// scheme spelled differently ("HTTPS://", "https:/") is kNotCanonical.
HeaderCheck ClassifyOther(absl::string_view v) {
  if (v.empty() || !IsAsciiAlpha(v[0])) return HeaderCheck::kNotCanonical;
  size_t i = 1;
  while (i < v.size() && (IsAsciiAlpha(v[i]) || (v[i] >= '0' && v[i] <= '9') ||
                          v[i] == '+' || v[i] == '-' || v[i] == '.')) {
    ++i;
  }
  if (v.substr(i, 3) != "://") return HeaderCheck::kNotCanonical;
  char scheme[6] = {};
  if (i <= 5) {
    for (size_t k = 0; k < i; ++k) scheme[k] = Lower(v[k]);
    absl::string_view s(scheme, i);
    if (s == "http" || s == "https" || s == "ws" || s == "wss" || s == "ftp") {
      return HeaderCheck::kNotCanonical;
    }
  }
  return HeaderCheck::kUnsupportedScheme;
}

// Is [p, end) exactly four dotted decimal parts 0-255 without leading zeros?
bool IsCanonicalIpv4(const char* p, const char* end) {
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (p == end || *p != '.') return false;
      ++p;
    }
    const char* start = p;
    unsigned value = 0;
    while (p != end && *p >= '0' && *p <= '9' && p - start < 3) {
      value = value * 10 + static_cast<unsigned>(*p - '0');
      ++p;
    }
    const ptrdiff_t digits = p - start;
    if (digits == 0 || value > 255 || (digits > 1 && *start == '0')) {
      return false;
    }
  }
  return p == end;
}

// Is [p, end) (the text inside the brackets) a canonical IPv6 serialization?
bool IsCanonicalIpv6(const char* p, const char* end) {
  const size_t n = static_cast<size_t>(end - p);
  if (n == 0 || n > internal::kMaxIpv6TextBytes) return false;
  internal::Ipv6Pieces pieces;
  if (internal::ParseIpv6(absl::string_view(p, n), &pieces) != nullptr) {
    return false;
  }
  char text[internal::kMaxIpv6TextBytes];
  const size_t written = internal::SerializeIpv6(pieces, text);
  return written == n && std::memcmp(text, p, n) == 0;
}

}  // namespace

HeaderCheck CheckOriginHeader(absl::string_view value, OriginParts* parts) {
  const size_t n = value.size();
  if (n == 0) return HeaderCheck::kEmpty;
  if (n > kMaxOriginBytes) return HeaderCheck::kTooLong;
  const char* const begin = value.data();
  const char* const end = begin + n;

  // Scheme prefix.
  Scheme scheme;
  size_t prefix;
  if (n >= 8 && std::memcmp(begin, "https://", 8) == 0) {
    scheme = Scheme::kHttps;
    prefix = 8;
  } else if (n >= 7 && std::memcmp(begin, "http://", 7) == 0) {
    scheme = Scheme::kHttp;
    prefix = 7;
  } else if (n >= 6 && std::memcmp(begin, "wss://", 6) == 0) {
    scheme = Scheme::kWss;
    prefix = 6;
  } else if (n >= 5 && std::memcmp(begin, "ws://", 5) == 0) {
    scheme = Scheme::kWs;
    prefix = 5;
  } else if (n >= 6 && std::memcmp(begin, "ftp://", 6) == 0) {
    scheme = Scheme::kFtp;
    prefix = 6;
  } else if (value == "null") {
    return HeaderCheck::kNull;
  } else {
    return ClassifyOther(value);
  }

  // Host.
  const char* const host_begin = begin + prefix;
  const char* p = host_begin;
  if (p == end) return HeaderCheck::kNotCanonical;
  if (*p == '[') {
    const char* close = static_cast<const char*>(
        std::memchr(p, ']', static_cast<size_t>(end - p)));
    if (close == nullptr || !IsCanonicalIpv6(p + 1, close)) {
      return HeaderCheck::kNotCanonical;
    }
    p = close + 1;
  } else {
    // Validate every byte in one tight loop; find the last label after.
    p = ScanHost(p, end);
    if (p == host_begin ||
        (p != end && kHostClasses[static_cast<unsigned char>(*p)] == kBad)) {
      return HeaderCheck::kNotCanonical;
    }
    // The last label, ignoring one trailing dot ("ends in a number").
    const char* last_label_end = p;
    if (last_label_end[-1] == '.') --last_label_end;
    const char* last_label_begin = last_label_end;
    while (last_label_begin != host_begin && last_label_begin[-1] != '.') {
      --last_label_begin;
    }
    // Numeric: all digits, or "0x" followed by hex digits.
    bool numeric = last_label_begin != last_label_end;
    for (const char* q = last_label_begin; numeric && q != last_label_end;
         ++q) {
      numeric = kHostClasses[static_cast<unsigned char>(*q)] == kDigit;
    }
    if (!numeric && last_label_end - last_label_begin >= 2 &&
        last_label_begin[0] == '0' && last_label_begin[1] == 'x') {
      numeric = true;
      for (const char* q = last_label_begin + 2; numeric && q != last_label_end;
           ++q) {
        const uint8_t cls = kHostClasses[static_cast<unsigned char>(*q)];
        numeric = cls == kDigit || cls == kHexLow;
      }
    }
    if (numeric && !IsCanonicalIpv4(host_begin, p)) {
      return HeaderCheck::kNotCanonical;
    }
  }
  const char* const host_end = p;

  // Port: ":" then 1-5 digits, no leading zero, not 0, not the default.
  uint32_t port = 0;
  if (p != end) {
    if (*p != ':') return HeaderCheck::kNotCanonical;
    ++p;
    const char* digits = p;
    if (p == end || *p == '0') return HeaderCheck::kNotCanonical;
    while (p != end && *p >= '0' && *p <= '9' && p - digits < 5) {
      port = port * 10 + static_cast<uint32_t>(*p - '0');
      ++p;
    }
    if (p != end || port > 65535 || port == DefaultPort(scheme)) {
      return HeaderCheck::kNotCanonical;
    }
  }

  parts->scheme = scheme;
  parts->host =
      absl::string_view(host_begin, static_cast<size_t>(host_end - host_begin));
  parts->port = static_cast<uint16_t>(port);
  parts->serialized = value;
  return HeaderCheck::kCanonical;
}

}  // namespace corsd::origin
