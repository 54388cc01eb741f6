// libFuzzer target for the HTTP door's request codec (built with
// -DCORSD_FUZZ=ON). The input is a request head: the first line "METHOD
// TARGET", then "Name: value" lines split at '\n' (a value may hold any
// byte, CR and NUL included, as a transport that let them through would hand
// them over). It is parsed under both endpoint modes and, when accepted,
// decided by the real engine on a small table. Aborts when a contract does
// not hold:
//   * an accepted request has no CR, LF or NUL in any field it decides on,
//     no field over the value limit, a token method of 1-32 bytes, scheme
//     "http" or "https";
//   * every field is a view into the input or into the request's storage;
//   * an error is ResourceExhausted or InvalidArgument with a message.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "service/decision/engine.h"
#include "service/decision/testing/fixture.h"
#include "service/door/header_rules.h"
#include "service/http/forward_auth.h"
#include "service/policy/policy.h"

namespace {

using corsd::http::ForwardAuthOptions;
using corsd::http::HeaderField;
using corsd::http::OriginalRequest;
using corsd::http::ReceivedRequest;

constexpr size_t kLimit = 512;

void Check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "contract broken: %s\n", what);
  std::abort();
}

bool Inside(absl::string_view v, absl::string_view input,
            const OriginalRequest& o) {
  if (v.empty()) return true;
  if (v.data() >= input.data() &&
      v.data() + v.size() <= input.data() + input.size()) {
    return true;
  }
  for (const auto& s : o.storage) {
    if (v.data() >= s->data() && v.data() + v.size() <= s->data() + s->size()) {
      return true;
    }
  }
  // Literal defaults ("http").
  return v == "http";
}

void CheckField(absl::string_view v, absl::string_view input,
                const OriginalRequest& o) {
  Check(!corsd::door::HasForbiddenByte(v), "CR, LF or NUL accepted");
  Check(v.size() <= kLimit, "value over the limit accepted");
  Check(Inside(v, input, o), "field points outside input and storage");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static corsd::decision::testing::World* world =
      new corsd::decision::testing::World();
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<absl::string_view> lines = absl::StrSplit(input, '\n');
  ReceivedRequest received;
  const absl::string_view first = lines.empty() ? "" : lines[0];
  const size_t space = first.find(' ');
  received.method = first.substr(0, space);
  received.target =
      space == absl::string_view::npos ? "" : first.substr(space + 1);
  std::vector<HeaderField> fields;
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == absl::string_view::npos) continue;
    absl::string_view value = lines[i].substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    fields.push_back({lines[i].substr(0, colon), value});
  }
  received.headers = fields;

  for (const bool auth : {true, false}) {
    const ForwardAuthOptions options{.tenant_header = "X-Corsd-Tenant",
                                     .require_original_method = auth,
                                     .max_header_value_bytes = kLimit,
                                     .max_headers = 64};
    OriginalRequest o;
    const absl::Status s = ParseOriginalRequest(received, options, &o);
    if (!s.ok()) {
      Check(s.code() == absl::StatusCode::kInvalidArgument ||
                s.code() == absl::StatusCode::kResourceExhausted,
            "unexpected error code");
      Check(!s.message().empty(), "error without a message");
      continue;
    }
    const corsd::decision::Request& r = o.request;
    Check(!r.method.empty() && r.method.size() <= 32 &&
              corsd::policy::IsHttpToken(r.method),
          "bad method accepted");
    Check(r.scheme == "http" || r.scheme == "https", "bad scheme accepted");
    for (const absl::string_view v :
         {r.method, r.scheme, r.host, r.path, r.origin,
          r.access_control_request_method, r.access_control_request_headers,
          r.access_control_request_private_network, r.upgrade, r.connection,
          o.tenant_header}) {
      if (v.data() == received.method.data() ||
          v.data() == received.target.data()) {
        continue;  // defaults from the request line (not header values)
      }
      CheckField(v, input, o);
    }
    corsd::table::EpochManager::ReadGuard guard(world->epochs());
    corsd::decision::Decision d;
    world->engine().Decide(o.tenant_header, r, &d);
    Check(d.header_count <= corsd::decision::kMaxResponseHeaders,
          "too many response headers");
    for (const auto& h : d.Headers()) {
      Check(!corsd::door::HasForbiddenByte(h.value),
            "CR, LF or NUL in a response header");
    }
  }
  return 0;
}
