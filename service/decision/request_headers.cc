#include "service/decision/request_headers.h"

#include <algorithm>

namespace corsd::decision {
namespace {

// Longest name this pass can lowercase (stack buffer); limits above it are
// clamped to it.
constexpr size_t kNameBuffer = 256;

bool IsOws(char c) { return c == ' ' || c == '\t'; }

// Byte classes for the one-pass scan: tchar (RFC 9110) that is already
// lowercase, an uppercase letter, or anything else (",", OWS, invalid).
constexpr uint8_t kOther = 0;
constexpr uint8_t kLowerTchar = 1;
constexpr uint8_t kUpper = 2;
struct ClassTable {
  uint8_t of[256] = {};
  constexpr ClassTable() {
    for (int c = '0'; c <= '9'; ++c) of[c] = kLowerTchar;
    for (int c = 'a'; c <= 'z'; ++c) of[c] = kLowerTchar;
    for (int c = 'A'; c <= 'Z'; ++c) of[c] = kUpper;
    for (char c : {'!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_',
                   '`', '|', '~'}) {
      of[static_cast<unsigned char>(c)] = kLowerTchar;
    }
  }
};
constexpr ClassTable kClass;

// The item that starts at `b` (after leading OWS): up to the next "," or the
// end, trailing OWS removed. For error reports only.
absl::string_view ItemAt(absl::string_view value, size_t b) {
  size_t e = value.find(',', b);
  if (e == absl::string_view::npos) e = value.size();
  while (e > b && IsOws(value[e - 1])) --e;
  return value.substr(b, e - b);
}

bool Allowed(absl::string_view lower, const policy::CompiledRules& rules,
             bool credentials) {
  if (policy::IsSafelistedHeaderName(lower)) return true;
  if (rules.HeaderListed(lower)) return true;
  return rules.any_header && !credentials && lower != "authorization";
}

}  // namespace

HeaderListResult CheckRequestHeaders(absl::string_view value,
                                     const policy::CompiledRules& rules,
                                     bool credentials, bool echo,
                                     const HeaderListLimits& limits,
                                     char* scratch) {
  HeaderListResult result;
  if (value.size() > limits.max_bytes) {
    result.status = HeaderListStatus::kTooLong;
    return result;
  }
  const size_t max_name = std::min(limits.max_name_bytes, kNameBuffer);
  char name_buf[kNameBuffer];
  // `clean`: the value is already lowercase names joined by "," with no
  // spaces and no empty items, so it can be echoed as is.
  bool clean = true;
  size_t out = 0;  // bytes written to scratch
  const char* const data = value.data();
  const size_t n = value.size();
  // One pass: each byte is read once (names are lowercased as they are
  // scanned); an item is [OWS] token [OWS] up to "," or the end.
  size_t i = 0;
  while (true) {
    size_t b = i;
    while (b < n && IsOws(data[b])) ++b;
    if (b != i) clean = false;
    if (b < n && data[b] != ',' && ++result.names > limits.max_names) {
      result.status = HeaderListStatus::kTooMany;
      return result;
    }
    char* lower = echo ? scratch + out + (out == 0 ? 0 : 1) : name_buf;
    size_t k = b;
    for (; k < n; ++k) {
      const unsigned char c = static_cast<unsigned char>(data[k]);
      const uint8_t cls = kClass.of[c];
      if (cls == kOther) break;
      if (k - b == max_name) {
        result.status = HeaderListStatus::kNameTooLong;
        result.offending = ItemAt(value, b);
        return result;
      }
      if (cls == kUpper) {
        clean = false;
        lower[k - b] = static_cast<char>(c | 0x20);
      } else {
        lower[k - b] = static_cast<char>(c);
      }
    }
    const size_t e = k;
    while (k < n && IsOws(data[k])) ++k;
    if (k != e) clean = false;
    if (k < n && data[k] != ',') {
      result.status = HeaderListStatus::kNotToken;
      result.offending = ItemAt(value, b);
      return result;
    }
    if (e == b) {
      // An empty item ("a,,b", a trailing ",", or an empty value) is
      // tolerated; it is not a name.
      if (n != 0) clean = false;
    } else {
      if (!Allowed(absl::string_view(lower, e - b), rules, credentials)) {
        result.status = HeaderListStatus::kNotAllowed;
        result.offending = absl::string_view(data + b, e - b);
        return result;
      }
      if (echo) {
        if (out != 0) scratch[out++] = ',';
        out += e - b;
      }
    }
    if (k >= n) break;
    i = k + 1;
  }
  if (echo && out > 0) {
    result.echo = clean ? value : absl::string_view(scratch, out);
  }
  return result;
}

}  // namespace corsd::decision
