// Test fixture shared by the decision tests: a small table and registry with
// tenants whose policies exercise every rule, and a request builder.
//
// Tenants:
//   "acme"  origins https://www.shop.example.com, https://app.example.com,
//           https://api.example.com:8443, http://localhost:3000; wildcard
//           https://*.acme.example; API host api.acme.test. Policy: methods
//           PUT DELETE PATCH, headers authorization x-request-id, exposed
//           x-request-id x-ratelimit-remaining, credentials, max-age 600,
//           unsafe-method enforcement (R14; R13 is on by default). Route
//           classes: /public (public), /embed (null allowed), /pna (private
//           network), /fwd (forward refused preflights), /any (headers "*"),
//           /anycred (headers "*" with credentials), /wsopen (as the
//           default class plus allow_cross_origin_websocket: R13 off).
//   "open"  public policy, headers "*", no credentials; origin
//           https://partner.example.net.
//   "bare"  origin https://bare.example.org, no policy registered.
// World's engine takes EngineOptions (default: --unknown-host=deny).
#ifndef CORSD_SERVICE_DECISION_TESTING_FIXTURE_H_
#define CORSD_SERVICE_DECISION_TESTING_FIXTURE_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "service/decision/engine.h"
#include "service/policy/policy.h"
#include "service/policy/policy_registry.h"
#include "service/table/epoch.h"
#include "service/table/origin_table.h"

namespace corsd::decision::testing {

// A request with owned strings; View() gives the engine's view of it.
struct OwnedRequest {
  std::string method = "GET";
  std::string scheme = "https";
  std::string host = "api.acme.test";
  std::string path = "/v1/items";
  std::optional<std::string> origin;
  std::optional<std::string> acrm;
  std::optional<std::string> acrh;
  std::optional<std::string> acrpn;
  std::string upgrade;
  std::string connection;
  bool credentials = false;

  Request View() const {
    Request r;
    r.method = method;
    r.scheme = scheme;
    r.host = host;
    r.path = path;
    if (origin) {
      r.origin = *origin;
      r.has_origin = true;
    }
    if (acrm) {
      r.access_control_request_method = *acrm;
      r.has_access_control_request_method = true;
    }
    if (acrh) {
      r.access_control_request_headers = *acrh;
      r.has_access_control_request_headers = true;
    }
    if (acrpn) {
      r.access_control_request_private_network = *acrpn;
      r.has_access_control_request_private_network = true;
    }
    r.upgrade = upgrade;
    r.connection = connection;
    r.credentials = credentials;
    return r;
  }
};

inline policy::Policy AcmePolicy() {
  policy::Policy p;
  p.allowed_methods = {"PUT", "DELETE", "PATCH"};
  p.allowed_headers = {"Authorization", "X-Request-ID"};
  p.exposed_headers = {"X-Request-ID", "X-RateLimit-Remaining"};
  p.allow_credentials = true;
  p.max_age_seconds = 600;
  p.enforce_unsafe_methods = true;
  policy::Policy pub;
  pub.public_origin = true;
  pub.exposed_headers = {"ETag"};
  policy::Policy embed;
  embed.allow_null_origin = true;
  policy::Policy pna = p;
  pna.allow_private_network = true;
  policy::Policy fwd = p;
  fwd.forward_refused_preflight = true;
  policy::Policy any;
  any.allowed_headers = {"*"};
  policy::Policy any_credentials = any;
  any_credentials.allow_credentials = true;
  policy::Policy ws_open = p;
  ws_open.allow_cross_origin_websocket = true;
  p.routes = {{"/public", pub},    {"/embed", embed},
              {"/pna", pna},       {"/fwd", fwd},
              {"/any", any},       {"/anycred", any_credentials},
              {"/wsopen", ws_open}};
  return p;
}

inline policy::Policy OpenPolicy() {
  policy::Policy p;
  p.public_origin = true;
  p.allowed_headers = {"*"};
  return p;
}

class World {
 public:
  explicit World(EngineOptions options = {})
      : table_(&epochs_),
        registry_(&epochs_),
        engine_(&table_, &registry_, options) {
    using K = table::Op::Kind;
    std::vector<table::Op> ops = {
        {K::kAddTenant, "acme", ""},
        {K::kAddOrigin, "acme", "https://www.shop.example.com"},
        {K::kAddOrigin, "acme", "https://app.example.com"},
        {K::kAddOrigin, "acme", "https://api.example.com:8443"},
        {K::kAddOrigin, "acme", "http://localhost:3000"},
        {K::kAddWildcard, "acme", "https://*.acme.example"},
        {K::kAddApiHost, "acme", "api.acme.test"},
        {K::kAddTenant, "open", ""},
        {K::kAddOrigin, "open", "https://partner.example.net"},
        {K::kAddTenant, "bare", ""},
        {K::kAddOrigin, "bare", "https://bare.example.org"},
    };
    Check(table_.Apply(ops).status());
    SetPolicy("acme", AcmePolicy());
    SetPolicy("open", OpenPolicy());
  }

  void SetPolicy(absl::string_view tenant, const policy::Policy& p) {
    auto compiled = policy::Validate(p);
    Check(compiled.status());
    table::TenantId id;
    {
      table::EpochManager::ReadGuard guard(&epochs_);
      id = table_.FindTenant(tenant);
    }
    Check(registry_.Set(id, std::move(*compiled)));
  }

  table::EpochManager* epochs() { return &epochs_; }
  table::OriginTable* table() { return &table_; }
  policy::PolicyRegistry* registry() { return &registry_; }
  const Engine& engine() const { return engine_; }

 private:
  static void Check(const absl::Status& s) {
    if (!s.ok()) {
      fprintf(stderr, "fixture: %s\n", s.ToString().c_str());
      abort();
    }
  }

  table::EpochManager epochs_;
  table::OriginTable table_;
  policy::PolicyRegistry registry_;
  Engine engine_;
};

// The headers of a decision as owned (name, value) pairs, Vary marked "+".
inline std::vector<std::pair<std::string, std::string>> HeaderPairs(
    const Decision& d) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const ResponseHeader& h : d.Headers()) {
    out.emplace_back(std::string(h.name) + (h.append ? "+" : ""),
                     std::string(h.value));
  }
  return out;
}

}  // namespace corsd::decision::testing

#endif  // CORSD_SERVICE_DECISION_TESTING_FIXTURE_H_
