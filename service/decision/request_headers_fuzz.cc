// libFuzzer target for the Access-Control-Request-Headers check (R8,
// request_headers.h; built with -DCORSD_FUZZ=ON). The first input byte picks
// the policy (explicit list, "*", "*" plus credentials) and the flags; the
// rest is the header value. Aborts when a contract does not hold:
//   * kOk only when the value is within the byte limit and every non-empty
//     item, trimmed of spaces and tabs, is an HTTP token of at most
//     max_name_bytes;
//   * the echo, when asked for and kOk, is the lowercase ","-joined list of
//     those items, within max_bytes, in the value itself or in scratch;
//   * `offending` is a view into the value.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "service/decision/engine.h"
#include "service/decision/request_headers.h"
#include "service/policy/policy.h"

namespace {

using corsd::decision::HeaderListLimits;
using corsd::decision::HeaderListStatus;

void Check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "contract broken: %s\n", what);
  std::abort();
}

std::unique_ptr<const corsd::policy::CompiledPolicy> Compile(
    std::vector<std::string> headers, bool credentials) {
  corsd::policy::Policy p;
  p.allowed_headers = std::move(headers);
  p.allow_credentials = credentials;
  return std::move(corsd::policy::Validate(p)).value();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto* policies = [] {
    auto* v =
        new std::vector<std::unique_ptr<const corsd::policy::CompiledPolicy>>;
    v->push_back(Compile({"X-Request-ID", "Authorization"}, true));
    v->push_back(Compile({"*"}, false));
    v->push_back(Compile({"*", "X-Api-Key"}, true));
    return v;
  }();
  static std::vector<char> scratch(corsd::decision::kMaxRequestHeadersBytes);
  if (size == 0) return 0;
  const uint8_t pick = data[0];
  const absl::string_view value(reinterpret_cast<const char*>(data + 1),
                                size - 1);
  const auto& rules = (*policies)[pick % policies->size()]->defaults();
  const bool credentials = (pick >> 2) & 1;
  const bool echo = (pick >> 3) & 1;
  const HeaderListLimits limits = {corsd::decision::kMaxRequestHeadersBytes,
                                   corsd::decision::kMaxRequestHeaderNames,
                                   corsd::decision::kMaxRequestHeaderNameBytes};
  const auto result = corsd::decision::CheckRequestHeaders(
      value, rules, credentials, echo, limits, scratch.data());

  if (!result.offending.empty()) {
    Check(result.offending.data() >= value.data() &&
              result.offending.data() + result.offending.size() <=
                  value.data() + value.size(),
          "offending is not a view into the value");
  }
  if (result.status != HeaderListStatus::kOk) return 0;
  Check(value.size() <= limits.max_bytes, "kOk over the byte limit");
  std::vector<std::string> names;
  for (absl::string_view item : absl::StrSplit(value, ',')) {
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) {
      item.remove_prefix(1);
    }
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) {
      item.remove_suffix(1);
    }
    if (item.empty()) continue;
    Check(corsd::policy::IsHttpToken(item), "kOk with a non-token name");
    Check(item.size() <= limits.max_name_bytes, "kOk with a long name");
    names.push_back(absl::AsciiStrToLower(item));
  }
  Check(names.size() <= limits.max_names, "kOk with too many names");
  Check(result.names == names.size(), "names miscounted");
  if (echo) {
    Check(result.echo == absl::StrJoin(names, ","), "echo is not the list");
    Check(result.echo.size() <= limits.max_bytes, "echo over the limit");
  }
  return 0;
}
