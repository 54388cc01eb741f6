#include "service/policy/policy_proto.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace corsd::policy {
namespace {

// A repeated field more than this many times its limit is refused before it
// is copied; the exact limits are Validate's.
constexpr size_t kCopyFactor = 10;

absl::Status CopyStrings(
    const google::protobuf::RepeatedPtrField<std::string>& in,
    absl::string_view field, size_t limit, std::vector<std::string>* out) {
  if (static_cast<size_t>(in.size()) > limit * kCopyFactor) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": ", in.size(), " entries; expected at most ", limit));
  }
  out->assign(in.begin(), in.end());
  return absl::OkStatus();
}

// Copies every field but routes.
absl::Status FlatFromProto(const corsd::v1::Policy& p, absl::string_view prefix,
                           Policy* out) {
  if (absl::Status s = CopyStrings(p.allowed_methods(),
                                   absl::StrCat(prefix, "allowed_methods"),
                                   kMaxMethods, &out->allowed_methods);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CopyStrings(p.allowed_headers(),
                                   absl::StrCat(prefix, "allowed_headers"),
                                   kMaxAllowedHeaders, &out->allowed_headers);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CopyStrings(p.exposed_headers(),
                                   absl::StrCat(prefix, "exposed_headers"),
                                   kMaxExposedHeaders, &out->exposed_headers);
      !s.ok()) {
    return s;
  }
  out->allow_credentials = p.allow_credentials();
  out->max_age_seconds = p.max_age_seconds();
  out->public_origin = p.public_origin();
  out->allow_null_origin = p.allow_null_origin();
  out->allow_private_network = p.allow_private_network();
  // enforce_websocket_origin (9) is deprecated and ignored: R13 is on
  // unless allow_cross_origin_websocket (16) is set.
  out->allow_cross_origin_websocket = p.allow_cross_origin_websocket();
  out->enforce_unsafe_methods = p.enforce_unsafe_methods();
  out->forward_refused_preflight = p.forward_refused_preflight();
  out->production = p.production();
  out->allow_dev_origins = p.allow_dev_origins();
  return absl::OkStatus();
}

void FlatToProto(const Policy& p, corsd::v1::Policy* out) {
  for (const std::string& s : p.allowed_methods) out->add_allowed_methods(s);
  for (const std::string& s : p.allowed_headers) out->add_allowed_headers(s);
  for (const std::string& s : p.exposed_headers) out->add_exposed_headers(s);
  out->set_allow_credentials(p.allow_credentials);
  out->set_max_age_seconds(p.max_age_seconds);
  out->set_public_origin(p.public_origin);
  out->set_allow_null_origin(p.allow_null_origin);
  out->set_allow_private_network(p.allow_private_network);
  out->set_allow_cross_origin_websocket(p.allow_cross_origin_websocket);
  out->set_enforce_unsafe_methods(p.enforce_unsafe_methods);
  out->set_forward_refused_preflight(p.forward_refused_preflight);
  out->set_production(p.production);
  out->set_allow_dev_origins(p.allow_dev_origins);
}

}  // namespace

absl::StatusOr<Policy> FromProto(const corsd::v1::Policy& proto) {
  Policy out;
  if (absl::Status s = FlatFromProto(proto, "", &out); !s.ok()) return s;
  if (static_cast<size_t>(proto.routes_size()) > kMaxRoutes * kCopyFactor) {
    return absl::InvalidArgumentError(
        absl::StrCat("routes: ", proto.routes_size(),
                     " classes; expected at most ", kMaxRoutes));
  }
  out.routes.reserve(proto.routes_size());
  for (int i = 0; i < proto.routes_size(); ++i) {
    const corsd::v1::RouteClass& rc = proto.routes(i);
    const std::string base = absl::StrCat("routes[", i, "].");
    if (rc.policy().routes_size() > 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          base,
          "policy.routes: a route class cannot have its own routes "
          "(nested routes are refused); expected it empty"));
    }
    RouteClass route;
    route.path_prefix = rc.path_prefix();
    if (absl::Status s = FlatFromProto(
            rc.policy(), absl::StrCat(base, "policy."), &route.policy);
        !s.ok()) {
      return s;
    }
    out.routes.push_back(std::move(route));
  }
  return out;
}

corsd::v1::Policy ToProto(const Policy& policy) {
  corsd::v1::Policy out;
  FlatToProto(policy, &out);
  for (const RouteClass& rc : policy.routes) {
    corsd::v1::RouteClass* r = out.add_routes();
    r->set_path_prefix(rc.path_prefix);
    FlatToProto(rc.policy, r->mutable_policy());
  }
  return out;
}

}  // namespace corsd::policy
