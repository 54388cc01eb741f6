#include "service/decision/request_headers.h"

#include <algorithm>

#include "absl/strings/ascii.h"

namespace corsd::decision {
namespace {

// Longest name this pass can lowercase (stack buffer); limits above it are
// clamped to it.
constexpr size_t kNameBuffer = 256;

bool IsOws(char c) { return c == ' ' || c == '\t'; }

// tchar per RFC 9110; a 256-entry table keeps the inner loop branch-light.
struct TcharTable {
  bool ok[256] = {};
  constexpr TcharTable() {
    for (int c = '0'; c <= '9'; ++c) ok[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) ok[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) ok[c] = true;
    for (char c : {'!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_',
                   '`', '|', '~'}) {
      ok[static_cast<unsigned char>(c)] = true;
    }
  }
};
constexpr TcharTable kTchar;

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
  size_t i = 0;
  while (i <= n) {
    size_t j = i;
    while (j < n && data[j] != ',') ++j;
    size_t b = i;
    size_t e = j;
    while (b < e && IsOws(data[b])) ++b;
    while (e > b && IsOws(data[e - 1])) --e;
    if (b != i || e != j) clean = false;
    if (b == e) {
      // An empty item ("a,,b", a trailing ",", or an empty value) is
      // tolerated; it is not a name.
      if (n != 0) clean = false;
    } else {
      const absl::string_view item(data + b, e - b);
      if (++result.names > limits.max_names) {
        result.status = HeaderListStatus::kTooMany;
        return result;
      }
      if (item.size() > max_name) {
        result.status = HeaderListStatus::kNameTooLong;
        result.offending = item;
        return result;
      }
      char* lower = echo ? scratch + out + (out == 0 ? 0 : 1) : name_buf;
      for (size_t k = 0; k < item.size(); ++k) {
        const unsigned char c = static_cast<unsigned char>(item[k]);
        if (!kTchar.ok[c]) {
          result.status = HeaderListStatus::kNotToken;
          result.offending = item;
          return result;
        }
        const char l = absl::ascii_tolower(c);
        if (l != static_cast<char>(c)) clean = false;
        lower[k] = l;
      }
      const absl::string_view lower_name(lower, item.size());
      if (!Allowed(lower_name, rules, credentials)) {
        result.status = HeaderListStatus::kNotAllowed;
        result.offending = item;
        return result;
      }
      if (echo) {
        if (out != 0) scratch[out++] = ',';
        out += item.size();
      }
    }
    i = j + 1;
  }
  if (echo && out > 0) {
    result.echo = clean ? value : absl::string_view(scratch, out);
  }
  return result;
}

}  // namespace corsd::decision
