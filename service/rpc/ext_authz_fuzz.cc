// libFuzzer target for the Envoy ext_authz door's request mapping
// (ext_authz_mapping.h; built with -DCORSD_FUZZ=ON). The first input byte
// picks how the rest becomes a CheckRequest: even, a serialized CheckRequest
// (whatever protobuf accepts); odd, "name: value" lines placed in
// attributes.request.http.headers (bit 1 clear) or in header_map (bit 1 set,
// repeats allowed), the way Envoy sends them. Accepted requests are decided
// on the fixture table and written back as a CheckResponse. Aborts when a
// contract does not hold:
//   * an accepted request carries no CR, LF or NUL in any header it decides
//     on, and no Origin over kMaxOriginBytes;
//   * an error is InvalidArgument with a message;
//   * the response is OK with ok_response or PERMISSION_DENIED with
//     denied_response, and its header values carry no CR, LF or NUL.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "envoy/service/auth/v3/external_auth.pb.h"
#include "service/decision/engine.h"
#include "service/decision/testing/fixture.h"
#include "service/door/header_rules.h"
#include "service/rpc/ext_authz_mapping.h"
#include "service/rpc/limits.h"

namespace {

using envoy::service::auth::v3::CheckRequest;
using envoy::service::auth::v3::CheckResponse;

void Check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "contract broken: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static corsd::decision::testing::World* world =
      new corsd::decision::testing::World();
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const absl::string_view rest(reinterpret_cast<const char*>(data + 1),
                               size - 1);
  CheckRequest check;
  if ((mode & 1) == 0) {
    if (!check.ParseFromArray(rest.data(), static_cast<int>(rest.size()))) {
      return 0;
    }
  } else {
    auto* http = check.mutable_attributes()->mutable_request()->mutable_http();
    if (mode & 4) {
      (*check.mutable_attributes()->mutable_context_extensions())["tenant"] =
          "acme";
    }
    for (absl::string_view line : absl::StrSplit(rest, '\n')) {
      const size_t colon =
          line.find(':', line.empty() || line[0] != ':' ? 0 : 1);
      if (colon == absl::string_view::npos) continue;
      const std::string key(line.substr(0, colon));
      absl::string_view value = line.substr(colon + 1);
      if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      if (mode & 2) {
        auto* h = http->mutable_header_map()->add_headers();
        h->set_key(key);
        if (mode & 8) {
          h->set_raw_value(std::string(value));
        } else {
          h->set_value(std::string(value));
        }
      } else {
        (*http->mutable_headers())[key] = std::string(value);
      }
    }
  }

  corsd::rpc::CheckInput in;
  const absl::Status s = corsd::rpc::ReadCheckRequest(check, "x-tenant", &in);
  if (!s.ok()) {
    Check(s.code() == absl::StatusCode::kInvalidArgument,
          "unexpected error code");
    Check(!s.message().empty(), "error without a message");
    return 0;
  }
  const corsd::decision::Request& r = in.request;
  Check(r.origin.size() <= corsd::rpc::kMaxOriginBytes, "long origin accepted");
  for (const absl::string_view v :
       {r.origin, r.access_control_request_method,
        r.access_control_request_headers,
        r.access_control_request_private_network, r.upgrade, r.connection}) {
    Check(!corsd::door::HasForbiddenByte(v), "CR, LF or NUL accepted");
  }

  corsd::table::EpochManager::ReadGuard guard(world->epochs());
  corsd::decision::Decision d;
  const absl::string_view tenant =
      in.tenant.named.empty() ? in.tenant.header : in.tenant.named;
  world->engine().Decide(tenant, r, &d);
  CheckResponse response;
  corsd::rpc::FillCheckResponse(d, &response);
  if (response.status().code() == 0) {
    Check(response.has_ok_response(), "OK without ok_response");
    for (const auto& h : response.ok_response().response_headers_to_add()) {
      Check(!corsd::door::HasForbiddenByte(h.header().value()),
            "CR, LF or NUL in a response header");
    }
  } else {
    Check(response.status().code() == 7, "status neither OK nor DENIED");
    Check(response.has_denied_response(), "DENIED without denied_response");
    for (const auto& h : response.denied_response().headers()) {
      Check(!corsd::door::HasForbiddenByte(h.header().value()),
            "CR, LF or NUL in a response header");
    }
  }
  return 0;
}
