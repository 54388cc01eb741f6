// The fast path of the full parse (canonical_fast.h): one pass over the
// scheme and authority, the result written once into a string reserved at
// its final size. Every error it returns is worded exactly as the general
// path words it (url_parser.cc, host.cc); canonical_fast_test.cc checks that
// on the conformance data and on generated inputs.
#include "service/origin/canonical_fast.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "service/origin/host.h"
#include "service/origin/ip_address.h"
#include "service/origin/url_parser.h"

namespace corsd::origin::internal {
namespace {

constexpr size_t kNpos = absl::string_view::npos;

// Room for an IDN host's ASCII form; a longer one declines.
constexpr size_t kIdnBufferBytes = 1024;
// ":65535".
constexpr size_t kMaxPortTextBytes = 6;

// Byte classes of the authority scan: 0 continues it.
enum : uint8_t { kAuthorityEnds = 1, kAt = 2, kRemoved = 3 };
constexpr std::array<uint8_t, 256> MakeAuthorityClasses() {
  std::array<uint8_t, 256> table{};
  for (char c : {'/', '?', '#', '\\'}) {
    table[static_cast<unsigned char>(c)] = kAuthorityEnds;
  }
  table['@'] = kAt;
  for (char c : {'\t', '\n', '\r'}) {
    table[static_cast<unsigned char>(c)] = kRemoved;  // by Preprocess
  }
  return table;
}
constexpr std::array<uint8_t, 256> kAuthorityClass = MakeAuthorityClasses();

// Byte classes of a host (bits). kForbidden: the URL standard's forbidden
// domain code points but '%' (host.cc's IsForbiddenDomainCodePoint).
enum : uint8_t { kForbidden = 1, kPercent = 2, kHigh = 4 };
constexpr std::array<uint8_t, 256> MakeHostClasses() {
  std::array<uint8_t, 256> table{};
  for (int c = 0; c <= 0x20; ++c) table[c] = kForbidden;
  for (char c :
       {'#', '/', ':', '<', '>', '?', '@', '[', '\\', ']', '^', '|', '\x7f'}) {
    table[static_cast<unsigned char>(c)] = kForbidden;
  }
  table['%'] = kPercent;
  for (int c = 0x80; c < 256; ++c) table[c] = kHigh;
  return table;
}
constexpr std::array<uint8_t, 256> kHostClass = MakeHostClasses();

// The first byte at or after `i` that ends the authority scan (class not
// 0), or input.size(). Eight independent lookups per step.
size_t ScanAuthority(absl::string_view input, size_t i) {
  const uint8_t* t = kAuthorityClass.data();
  const unsigned char* u = reinterpret_cast<const unsigned char*>(input.data());
  const size_t n = input.size();
  while (n - i >= 8) {
    if ((t[u[i]] | t[u[i + 1]] | t[u[i + 2]] | t[u[i + 3]] | t[u[i + 4]] |
         t[u[i + 5]] | t[u[i + 6]] | t[u[i + 7]]) != 0) {
      break;
    }
    i += 8;
  }
  while (i < n && t[u[i]] == 0) ++i;
  return i;
}

// True when `s` has a byte >= 0x80; eight bytes per step.
bool HasHighByte(absl::string_view s) {
  uint64_t ored = 0;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, s.data() + i, sizeof(word));
    ored |= word;
  }
  for (; i < s.size(); ++i) ored |= static_cast<unsigned char>(s[i]);
  return (ored & 0x8080808080808080u) != 0;
}

bool IsC0OrSpace(char c) { return static_cast<unsigned char>(c) <= 0x20; }
bool IsAsciiAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c; }

// InvalidArgument with the concatenation of `parts` as its message, built
// on the stack when it fits: absl::Status then makes its own two
// allocations (rep and message) and no temporary string is made.
absl::Status InvalidArgument(std::initializer_list<absl::string_view> parts) {
  size_t total = 0;
  for (absl::string_view part : parts) total += part.size();
  char buffer[512];
  std::string heap;
  char* out = buffer;
  if (total > sizeof(buffer)) {
    heap.resize(total);
    out = heap.data();
  }
  size_t n = 0;
  for (absl::string_view part : parts) {
    if (!part.empty()) std::memcpy(out + n, part.data(), part.size());
    n += part.size();
  }
  return absl::InvalidArgumentError(absl::string_view(out, n));
}

// The tuple schemes: lowercase name and default port.
struct TupleScheme {
  absl::string_view name;
  uint32_t default_port;
};

// The tuple scheme spelled (in any case) by `letters`, or nullptr.
const TupleScheme* MatchScheme(absl::string_view letters) {
  static constexpr TupleScheme kSchemes[] = {
      {"http", 80}, {"https", 443}, {"ws", 80}, {"wss", 443}, {"ftp", 21}};
  char lower[5];
  if (letters.size() < 2 || letters.size() > sizeof(lower)) return nullptr;
  for (size_t i = 0; i < letters.size(); ++i) lower[i] = Lower(letters[i]);
  const absl::string_view name(lower, letters.size());
  for (const TupleScheme& scheme : kSchemes) {
    if (scheme.name == name) return &scheme;
  }
  return nullptr;
}

// host.cc's CodePointName: "U+0020".
void CodePointName(unsigned char c, char out[6]) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out[0] = 'U';
  out[1] = '+';
  out[2] = '0';
  out[3] = '0';
  out[4] = kHex[c >> 4];
  out[5] = kHex[c & 0xf];
}

// Appends ":" + `port` in decimal.
void AppendPort(uint32_t port, std::string* out) {
  char digits[kMaxPortTextBytes];
  size_t n = sizeof(digits);
  do {
    digits[--n] = static_cast<char>('0' + port % 10);
    port /= 10;
  } while (port != 0);
  digits[--n] = ':';
  out->append(digits + n, sizeof(digits) - n);
}

}  // namespace

std::optional<absl::StatusOr<std::string>> CanonicalizeOriginFast(
    absl::string_view input, CanonicalMode mode) {
  // ParseUrl's first checks; their errors are left to it.
  if (input.size() > kMaxUrlBytes) return std::nullopt;
  if (HasHighByte(input) && !IsValidUtf8(input)) return std::nullopt;
  // Preprocess's trim (tab, LF and CR inside are declined below).
  while (!input.empty() && IsC0OrSpace(input.front())) input.remove_prefix(1);
  while (!input.empty() && IsC0OrSpace(input.back())) input.remove_suffix(1);

  // Scheme: letters, ':', exactly "//", then not a further slash.
  size_t colon = 0;
  while (colon < input.size() && colon < 6 && IsAsciiAlpha(input[colon])) {
    ++colon;
  }
  if (colon >= input.size() || input[colon] != ':') return std::nullopt;
  const TupleScheme* scheme = MatchScheme(input.substr(0, colon));
  if (scheme == nullptr) return std::nullopt;
  const size_t authority = colon + 3;
  if (input.size() <= authority || input[colon + 1] != '/' ||
      input[colon + 2] != '/' || input[authority] == '/' ||
      input[authority] == '\\') {
    return std::nullopt;
  }

  // Authority: up to '/', '?', '#' or '\' (special schemes); the host
  // follows the last '@'.
  size_t authority_end = authority;
  size_t last_at = kNpos;
  for (;; ++authority_end) {
    authority_end = ScanAuthority(input, authority_end);
    if (authority_end == input.size()) break;
    const uint8_t cls =
        kAuthorityClass[static_cast<unsigned char>(input[authority_end])];
    if (cls == kAuthorityEnds) break;
    if (cls == kRemoved) return std::nullopt;
    last_at = authority_end;  // kAt
  }
  if (mode == CanonicalMode::kAdmin) {
    // Userinfo, a path other than "/", a query or a fragment: refusals.
    const absl::string_view rest = input.substr(authority_end);
    if (last_at != kNpos || !(rest.empty() || rest == "/")) {
      return std::nullopt;
    }
  }
  const size_t host_start = last_at == kNpos ? authority : last_at + 1;
  const absl::string_view host_and_port =
      input.substr(host_start, authority_end - host_start);

  // Host and port. A '[' makes the general parser ignore ':' up to the next
  // ']': only the plain "[...]" form at the start is handled here.
  absl::string_view host;
  if (!host_and_port.empty() && host_and_port.front() == '[') {
    const size_t close = host_and_port.find(']');
    if (close == kNpos) return std::nullopt;
    host = host_and_port.substr(0, close + 1);
  } else {
    if (host_and_port.find('[') != kNpos) return std::nullopt;
    host = host_and_port.substr(0, host_and_port.find(':'));
  }
  if (host.empty()) return std::nullopt;
  const bool has_port = host.size() < host_and_port.size();
  if (has_port && host_and_port[host.size()] != ':') return std::nullopt;
  const absl::string_view port_text =
      has_port ? host_and_port.substr(host.size() + 1) : absl::string_view();
  uint32_t port = 0;
  for (char c : port_text) {
    if (!IsDigit(c)) return std::nullopt;  // its error names the position
    port =
        std::min<uint32_t>(port * 10 + static_cast<uint32_t>(c - '0'), 1000000);
  }
  // Port errors come after the host's (the general parser parses the host
  // when it reaches the ':').
  auto port_error = [&]() -> std::optional<absl::StatusOr<std::string>> {
    if (port <= 65535) return std::nullopt;
    return InvalidArgument(
        {"port \"", port_text, "\" is out of range (0-65535)"});
  };
  const bool explicit_port = !port_text.empty() && port != scheme->default_port;
  if (mode == CanonicalMode::kAdmin && !port_text.empty() && port == 0) {
    return std::nullopt;  // refused: no browser can send port 0
  }
  const size_t prefix = scheme->name.size() + 3;
  std::string out;

  if (host.front() == '[') {
    Ipv6Pieces pieces;
    if (ParseIpv6(host.substr(1, host.size() - 2), &pieces) != nullptr) {
      return std::nullopt;
    }
    if (auto error = port_error()) return error;
    char text[kMaxIpv6TextBytes];
    const size_t length = SerializeIpv6(pieces, text);
    out.reserve(prefix + length + 2 + kMaxPortTextBytes);
    out.append(scheme->name.data(), scheme->name.size());
    out.append("://[");
    out.append(text, length);
    out.push_back(']');
  } else {
    uint8_t classes = 0;
    for (char c : host) classes |= kHostClass[static_cast<unsigned char>(c)];
    if (classes & kPercent) return std::nullopt;  // percent-decoding
    const bool non_ascii = (classes & kHigh) != 0;
    size_t forbidden = kNpos;
    if (classes & kForbidden) {
      for (size_t i = 0; i < host.size() && forbidden == kNpos; ++i) {
        if (kHostClass[static_cast<unsigned char>(host[i])] & kForbidden) {
          forbidden = i;
        }
      }
    }
    if (non_ascii) {
      // IDNA. A forbidden code point in the host or in ICU's output, or a
      // numeric last label: rare, left to the general path.
      if (forbidden != kNpos) return std::nullopt;
      char ascii[kIdnBufferBytes];
      const size_t length = DomainToAsciiInto(host, ascii, sizeof(ascii));
      if (length == 0) return std::nullopt;
      const absl::string_view domain(ascii, length);
      for (char c : domain) {
        if (IsForbiddenDomainCodePoint(static_cast<unsigned char>(c))) {
          return std::nullopt;
        }
      }
      if (EndsInANumber(domain)) return std::nullopt;
      if (auto error = port_error()) return error;
      out.reserve(prefix + length + kMaxPortTextBytes);
      out.append(scheme->name.data(), scheme->name.size());
      out.append("://");
      out.append(domain.data(), domain.size());
    } else {
      if (forbidden != kNpos) {
        char name[6];
        CodePointName(static_cast<unsigned char>(host[forbidden]), name);
        return InvalidArgument({"host \"", host,
                                "\" contains forbidden code point ",
                                absl::string_view(name, sizeof(name))});
      }
      // The IPv4 checks ignore case (hex digits, "0x"/"0X"): run on `host`
      // before anything is built, so an error allocates nothing of ours.
      uint32_t address = 0;
      const bool ipv4 = EndsInANumber(host);
      if (ipv4) {
        if (const char* error = ParseIpv4(host, &address)) {
          return InvalidArgument(
              {"host \"", host, "\" ends in a number but: ", error});
        }
      }
      if (auto error = port_error()) return error;
      out.reserve(prefix + (ipv4 ? kMaxIpv4TextBytes : host.size()) +
                  kMaxPortTextBytes);
      out.append(scheme->name.data(), scheme->name.size());
      out.append("://");
      if (ipv4) {
        char text[kMaxIpv4TextBytes];
        out.append(text, SerializeIpv4(address, text));
      } else {
        out.resize(prefix + host.size());
        char* p = out.data() + prefix;
        for (char c : host) *p++ = Lower(c);
      }
    }
  }
  if (explicit_port) AppendPort(port, &out);
  return out;  // moved (C++20 implicit move)
}

}  // namespace corsd::origin::internal
