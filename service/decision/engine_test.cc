// Table-driven tests of Engine::Decide: one case per behaviour, each named
// after the rule it checks (R1..R14, UNKNOWN, HOST, ROUTE). Every case
// asserts the action, status, reason and the exact header list in order.
// UnknownHostTest covers EngineOptions::unknown_host (deny and continue).
#include "service/decision/engine.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/decision/testing/fixture.h"

namespace corsd::decision {
namespace {

using testing::HeaderPairs;
using testing::OwnedRequest;
using testing::World;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr char kVaryP[] =
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";
constexpr char kVaryPN[] =
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, "
    "Access-Control-Request-Private-Network";
constexpr char kAcam[] = "GET, HEAD, POST, PUT, DELETE, PATCH";
constexpr char kAcah[] =
    "authorization, x-request-id, accept, accept-language, content-language, "
    "content-type, range";
constexpr char kSafe[] =
    "accept, accept-language, content-language, content-type, range";
constexpr char kAceh[] = "x-request-id, x-ratelimit-remaining";
constexpr char kApp[] = "https://app.example.com";
constexpr char kEvil[] = "https://evil.example.org";

struct Case {
  std::string name;
  std::string tenant;
  OwnedRequest req;
  Action action;
  int status;
  Reason reason;
  Headers headers;
};

OwnedRequest Get(std::string origin, std::string path = "/v1/items") {
  OwnedRequest r;
  r.origin = std::move(origin);
  r.path = std::move(path);
  return r;
}
OwnedRequest NoOrigin(std::string method) {
  OwnedRequest r;
  r.method = std::move(method);
  return r;
}
OwnedRequest With(OwnedRequest r, std::string method) {
  r.method = std::move(method);
  return r;
}
OwnedRequest Cred(OwnedRequest r) {
  r.credentials = true;
  return r;
}
OwnedRequest Preflight(std::string origin, std::string acrm,
                       std::optional<std::string> acrh,
                       std::string path = "/v1/items") {
  OwnedRequest r;
  r.method = "OPTIONS";
  r.origin = std::move(origin);
  r.acrm = std::move(acrm);
  r.acrh = std::move(acrh);
  r.path = std::move(path);
  return r;
}
OwnedRequest Pna(OwnedRequest r, std::string value) {
  r.acrpn = std::move(value);
  return r;
}
OwnedRequest Ws(std::string origin, std::string upgrade = "websocket",
                std::string connection = "Upgrade",
                std::string path = "/v1/items") {
  OwnedRequest r = Get(std::move(origin), std::move(path));
  r.upgrade = std::move(upgrade);
  r.connection = std::move(connection);
  return r;
}
OwnedRequest Host(std::string host) {
  OwnedRequest r = Get(kApp);
  r.host = std::move(host);
  return r;
}

constexpr Action kC = Action::kContinue;
constexpr Action kA = Action::kAnswer;

Headers Allowed(const std::string& origin) {
  return {{"access-control-allow-origin", origin},
          {"access-control-allow-credentials", "true"},
          {"access-control-expose-headers", kAceh},
          {"vary+", "Origin"}};
}
const Headers kVaryOnly = {{"vary+", "Origin"}};
const Headers kVaryPreflightOnly = {{"vary+", kVaryP}};

Headers PreflightOk(const std::string& origin, const std::string& acah = kAcah,
                    const std::string& vary = kVaryP) {
  return {{"access-control-allow-origin", origin},
          {"access-control-allow-credentials", "true"},
          {"access-control-allow-methods", kAcam},
          {"access-control-allow-headers", acah},
          {"access-control-max-age", "600"},
          {"vary+", vary}};
}

std::string Names(int n, const std::string& name) {
  std::string s;
  for (int i = 0; i < n; ++i) s += (i ? "," : "") + name;
  return s;
}

std::vector<Case> Cases() {
  using R = Reason;
  return {
      // R1: no Origin -> not CORS, but Vary: Origin (R5).
      {"R1_no_origin_get", "acme", NoOrigin("GET"), kC, 0, R::kR1NoOrigin,
       kVaryOnly},
      {"R1_options_without_origin_is_not_preflight", "acme",
       [] {
         OwnedRequest r = NoOrigin("OPTIONS");
         r.acrm = "PUT";
         return r;
       }(),
       kC, 0, R::kR1NoOrigin, kVaryOnly},
      {"R1_delete_without_origin_not_denied", "acme", NoOrigin("DELETE"), kC, 0,
       R::kR1NoOrigin, kVaryOnly},
      // R2: exact and wildcard matches; everything else refused.
      {"R2_exact_allowed", "acme", Get(kApp), kC, 0, R::kR2OriginAllowed,
       Allowed(kApp)},
      {"R2_exact_with_port", "acme", Get("https://api.example.com:8443"), kC, 0,
       R::kR2OriginAllowed, Allowed("https://api.example.com:8443")},
      {"R2_dev_origin_on_non_production_tenant", "acme",
       Get("http://localhost:3000"), kC, 0, R::kR2OriginAllowed,
       Allowed("http://localhost:3000")},
      {"R2_wildcard_allowed", "acme", Get("https://eu.acme.example"), kC, 0,
       R::kR2WildcardAllowed, Allowed("https://eu.acme.example")},
      {"R2_wildcard_deeper_subdomain", "acme", Get("https://a.b.acme.example"),
       kC, 0, R::kR2WildcardAllowed, Allowed("https://a.b.acme.example")},
      {"R2_wildcard_never_bare_domain", "acme", Get("https://acme.example"), kC,
       0, R::kR2OriginNotAllowed, kVaryOnly},
      {"R2_wildcard_label_boundary", "acme", Get("https://evilacme.example"),
       kC, 0, R::kR2OriginNotAllowed, kVaryOnly},
      {"R2_wildcard_other_scheme", "acme", Get("http://eu.acme.example"), kC, 0,
       R::kR2OriginNotAllowed, kVaryOnly},
      {"R2_refused_origin", "acme", Get(kEvil), kC, 0, R::kR2OriginNotAllowed,
       kVaryOnly},
      {"R2_attack_suffix_lookalike", "acme",
       Get("https://app.example.com.evil.com"), kC, 0, R::kR2OriginNotAllowed,
       kVaryOnly},
      {"R2_attack_prefix_lookalike", "acme", Get("https://evilexample.com"), kC,
       0, R::kR2OriginNotAllowed, kVaryOnly},
      {"R2_attack_prefix_lookalike_subdomain", "acme",
       Get("https://evilapp.example.com"), kC, 0, R::kR2OriginNotAllowed,
       kVaryOnly},
      {"R2_attack_userinfo", "acme", Get("https://app.example.com@evil.com"),
       kC, 0, R::kR2OriginNotCanonical, kVaryOnly},
      {"R2_attack_userinfo_reversed", "acme",
       Get("https://evil.com@app.example.com"), kC, 0, R::kR2OriginNotCanonical,
       kVaryOnly},
      {"R2_attack_http_for_https_entry", "acme", Get("http://app.example.com"),
       kC, 0, R::kR2OriginNotAllowed, kVaryOnly},
      {"R2_attack_unlisted_port", "acme", Get("https://app.example.com:8443"),
       kC, 0, R::kR2OriginNotAllowed, kVaryOnly},
      {"R2_attack_uppercase_spelling", "acme", Get("https://APP.example.com"),
       kC, 0, R::kR2OriginNotCanonical, kVaryOnly},
      {"R2_attack_default_port_spelling", "acme",
       Get("https://app.example.com:443"), kC, 0, R::kR2OriginNotCanonical,
       kVaryOnly},
      {"R2_attack_trailing_slash_spelling", "acme",
       Get("https://app.example.com/"), kC, 0, R::kR2OriginNotCanonical,
       kVaryOnly},
      {"R2_attack_trailing_dot_is_another_origin", "acme",
       Get("https://app.example.com."), kC, 0, R::kR2OriginNotAllowed,
       kVaryOnly},
      {"R2_attack_empty_origin", "acme", Get(""), kC, 0,
       R::kR2OriginNotCanonical, kVaryOnly},
      {"R2_attack_other_tenants_origin", "acme",
       Get("https://partner.example.net"), kC, 0, R::kR2OriginNotAllowed,
       kVaryOnly},
      // R3 / R4: public mode.
      {"R3_public_any_origin_without_credentials",
       "acme",
       Get(kEvil, "/public/logo.png"),
       kC,
       0,
       R::kR3Public,
       {{"access-control-allow-origin", "*"},
        {"access-control-expose-headers", "etag"},
        {"vary+", "Origin"}}},
      {"R3_public_entry_without_credentials_gets_star",
       "acme",
       Get(kApp, "/public"),
       kC,
       0,
       R::kR3Public,
       {{"access-control-allow-origin", "*"},
        {"access-control-expose-headers", "etag"},
        {"vary+", "Origin"}}},
      {"R3_public_tenant_null_origin",
       "open",
       Get("null"),
       kC,
       0,
       R::kR3Public,
       {{"access-control-allow-origin", "*"}, {"vary+", "Origin"}}},
      {"R4_public_credentialed_entry_gets_exact_origin",
       "acme",
       Cred(Get(kApp, "/public")),
       kC,
       0,
       R::kR2OriginAllowed,
       {{"access-control-allow-origin", kApp},
        {"access-control-expose-headers", "etag"},
        {"vary+", "Origin"}}},
      {"R4_public_credentialed_non_entry_gets_star",
       "acme",
       Cred(Get(kEvil, "/public")),
       kC,
       0,
       R::kR4CredentialsNotAllowed,
       {{"access-control-allow-origin", "*"},
        {"access-control-expose-headers", "etag"},
        {"vary+", "Origin"}}},
      {"R4_credentials_with_exact_origin", "acme", Cred(Get(kApp)), kC, 0,
       R::kR2OriginAllowed, Allowed(kApp)},
      // R5: Vary on preflights, with Private-Network when used.
      {"R5_preflight_vary_private_network",
       "acme",
       Pna(Preflight(kApp, "PUT", std::nullopt, "/pna"), "true"),
       kA,
       204,
       R::kR6PreflightAllowed,
       {{"access-control-allow-origin", kApp},
        {"access-control-allow-credentials", "true"},
        {"access-control-allow-methods", kAcam},
        {"access-control-allow-headers", kAcah},
        {"access-control-max-age", "600"},
        {"access-control-allow-private-network", "true"},
        {"vary+", kVaryPN}}},
      // R6: preflights answered by the gateway.
      {"R6_preflight_allowed", "acme",
       Preflight(kApp, "PUT", "x-request-id,authorization"), kA, 204,
       R::kR6PreflightAllowed, PreflightOk(kApp)},
      {"R6_preflight_simple_method", "acme",
       Preflight(kApp, "GET", std::nullopt), kA, 204, R::kR6PreflightAllowed,
       PreflightOk(kApp)},
      {"R6_preflight_refused_origin", "acme", Preflight(kEvil, "PUT", "x-a"),
       kA, 403, R::kR2OriginNotAllowed, kVaryPreflightOnly},
      {"R6_preflight_refused_not_canonical", "acme",
       Preflight("https://app.example.com:443", "PUT", std::nullopt), kA, 403,
       R::kR2OriginNotCanonical, kVaryPreflightOnly},
      {"R6_preflight_forwarded_when_policy_says", "acme",
       Preflight(kApp, "PROPFIND", std::nullopt, "/fwd/x"), kC, 0,
       R::kR6PreflightForwarded, kVaryPreflightOnly},
      {"R6_preflight_allowed_not_forwarded", "acme",
       Preflight(kApp, "PUT", std::nullopt, "/fwd/x"), kA, 204,
       R::kR6PreflightAllowed, PreflightOk(kApp)},
      // R7: methods case-sensitive; GET/HEAD/POST always.
      {"R7_method_lowercase_refused", "acme", Preflight(kApp, "patch", {}), kA,
       403, R::kR7MethodNotAllowed, kVaryPreflightOnly},
      {"R7_method_unlisted_refused", "acme", Preflight(kApp, "PROPFIND", {}),
       kA, 403, R::kR7MethodNotAllowed, kVaryPreflightOnly},
      {"R7_method_not_a_token_refused", "acme", Preflight(kApp, "PU T", {}), kA,
       403, R::kR7MethodNotAllowed, kVaryPreflightOnly},
      {"R7_post_always_allowed",
       "bare",
       Preflight("https://bare.example.org", "POST", {}),
       kA,
       204,
       R::kR6PreflightAllowed,
       {{"access-control-allow-origin", "https://bare.example.org"},
        {"access-control-allow-methods", "GET, HEAD, POST"},
        {"access-control-allow-headers", kSafe},
        {"vary+", kVaryP}}},
      // R8: request headers.
      {"R8_header_not_allowed", "acme", Preflight(kApp, "PUT", "x-tenant-id"),
       kA, 403, R::kR8HeaderNotAllowed, kVaryPreflightOnly},
      {"R8_header_case_insensitive", "acme",
       Preflight(kApp, "PUT", "X-Request-ID,AUTHORIZATION"), kA, 204,
       R::kR6PreflightAllowed, PreflightOk(kApp)},
      {"R8_oddly_spaced_and_empty_items", "acme",
       Preflight(kApp, "PUT",
                 " x-request-id ,, authorization ,\tcontent-type ,"),
       kA, 204, R::kR6PreflightAllowed, PreflightOk(kApp)},
      {"R8_repeated_headers_joined", "acme",
       Preflight(kApp, "PUT", "x-request-id,x-request-id, x-request-id"), kA,
       204, R::kR6PreflightAllowed, PreflightOk(kApp)},
      {"R8_empty_value", "acme", Preflight(kApp, "PUT", ""), kA, 204,
       R::kR6PreflightAllowed, PreflightOk(kApp)},
      {"R8_safelisted_always_allowed",
       "bare",
       Preflight("https://bare.example.org", "POST",
                 "content-type,accept,accept-language,content-language,range"),
       kA,
       204,
       R::kR6PreflightAllowed,
       {{"access-control-allow-origin", "https://bare.example.org"},
        {"access-control-allow-methods", "GET, HEAD, POST"},
        {"access-control-allow-headers", kSafe},
        {"vary+", kVaryP}}},
      {"R8_star_answers_requested_names",
       "acme",
       Preflight(kApp, "POST", "x-foo,x-bar", "/any"),
       kA,
       204,
       R::kR6PreflightAllowed,
       {{"access-control-allow-origin", kApp},
        {"access-control-allow-methods", "GET, HEAD, POST"},
        {"access-control-allow-headers", "x-foo,x-bar"},
        {"vary+", kVaryP}}},
      {"R8_star_answers_normalized_names",
       "acme",
       Preflight(kApp, "POST", " X-Foo ,,x-BAR", "/any"),
       kA,
       204,
       R::kR6PreflightAllowed,
       {{"access-control-allow-origin", kApp},
        {"access-control-allow-methods", "GET, HEAD, POST"},
        {"access-control-allow-headers", "x-foo,x-bar"},
        {"vary+", kVaryP}}},
      {"R8_star_never_covers_authorization", "acme",
       Preflight(kApp, "POST", "x-foo,Authorization", "/any"), kA, 403,
       R::kR8HeaderNotAllowed, kVaryPreflightOnly},
      {"R8_star_not_for_credentialed_requests", "acme",
       Cred(Preflight(kApp, "POST", "x-foo", "/any")), kA, 403,
       R::kR8HeaderNotAllowed, kVaryPreflightOnly},
      {"R8_star_with_credentials_policy_answers_literal_star",
       "acme",
       Preflight(kApp, "POST", "x-foo", "/anycred"),
       kA,
       204,
       R::kR6PreflightAllowed,
       {{"access-control-allow-origin", kApp},
        {"access-control-allow-credentials", "true"},
        {"access-control-allow-methods", "GET, HEAD, POST"},
        {"access-control-allow-headers", std::string("*, ") + kSafe},
        {"vary+", kVaryP}}},
      {"R8_star_on_public_tenant",
       "open",
       Preflight("https://anyone.example", "POST", "x-anything"),
       kA,
       204,
       R::kR6PreflightAllowed,
       {{"access-control-allow-origin", "*"},
        {"access-control-allow-methods", "GET, HEAD, POST"},
        {"access-control-allow-headers", "x-anything"},
        {"vary+", kVaryP}}},
      {"R8_malformed_not_a_token", "acme",
       Preflight(kApp, "PUT", "x-request-id,x id"), kA, 403,
       R::kR8HeadersMalformed, kVaryPreflightOnly},
      {"R8_malformed_too_many_names", "acme",
       Preflight(kApp, "PUT", Names(200, "x-request-id")), kA, 403,
       R::kR8HeadersMalformed, kVaryPreflightOnly},
      {"R8_malformed_hostile_8k_1000_names", "acme",
       Preflight(kApp, "PUT", Names(1000, "x-abcdef")), kA, 403,
       R::kR8HeadersMalformed, kVaryPreflightOnly},
      {"R8_malformed_name_too_long", "acme",
       Preflight(kApp, "PUT", std::string(300, 'x')), kA, 403,
       R::kR8HeadersMalformed, kVaryPreflightOnly},
      // R9 / R10: Expose-Headers on actual responses only (see R2_exact);
      // no Max-Age / Expose-Headers when the policy has none.
      {"R9_no_expose_headers_when_none",
       "bare",
       Get("https://bare.example.org"),
       kC,
       0,
       R::kR2OriginAllowed,
       {{"access-control-allow-origin", "https://bare.example.org"},
        {"vary+", "Origin"}}},
      // R11: null origin.
      {"R11_null_refused", "acme", Get("null"), kC, 0, R::kR11NullOriginRefused,
       kVaryOnly},
      {"R11_null_allowed_without_credentials",
       "acme",
       Cred(Get("null", "/embed/widget")),
       kC,
       0,
       R::kR11NullOriginAllowed,
       {{"access-control-allow-origin", "null"}, {"vary+", "Origin"}}},
      {"R11_null_preflight_refused", "acme", Preflight("null", "PUT", {}), kA,
       403, R::kR11NullOriginRefused, kVaryPreflightOnly},
      {"R11_null_unsafe_method_denied", "acme", With(Get("null"), "DELETE"), kA,
       403, R::kR14UnsafeMethodDenied, kVaryOnly},
      // R12: private network access.
      {"R12_private_network_refused",
       "acme",
       Pna(Preflight(kApp, "PUT", {}), "true"),
       kA,
       403,
       R::kR12PrivateNetworkRefused,
       {{"vary+", kVaryPN}}},
      {"R12_private_network_header_not_true", "acme",
       Pna(Preflight(kApp, "PUT", {}), "false"), kA, 204,
       R::kR6PreflightAllowed, PreflightOk(kApp, kAcah, kVaryPN)},
      // R13: WebSocket.
      {"R13_websocket_refused_origin_denied", "acme", Ws(kEvil), kA, 403,
       R::kR13WebsocketRefused, kVaryOnly},
      {"R13_websocket_mixed_case_tokens", "acme",
       Ws(kEvil, "WebSocket", "keep-alive, Upgrade"), kA, 403,
       R::kR13WebsocketRefused, kVaryOnly},
      {"R13_websocket_null_origin_denied", "acme", Ws("null"), kA, 403,
       R::kR13WebsocketRefused, kVaryOnly},
      {"R13_websocket_allowed_origin", "acme", Ws(kApp), kC, 0,
       R::kR2OriginAllowed, Allowed(kApp)},
      {"R13_allow_cross_origin_websocket_continues", "acme",
       Ws(kEvil, "websocket", "upgrade", "/wsopen"), kC, 0,
       R::kR2OriginNotAllowed, kVaryOnly},
      {"R13_allow_cross_origin_websocket_keeps_R14", "acme",
       With(Get(kEvil, "/wsopen"), "DELETE"), kA, 403,
       R::kR14UnsafeMethodDenied, kVaryOnly},
      // R13 is on by default: a class that sets nothing about it, and a
      // tenant with no policy at all (Policy{}), deny refused handshakes.
      {"R13_default_route_class_denies", "acme",
       Ws(kEvil, "websocket", "upgrade", "/embed"), kA, 403,
       R::kR13WebsocketRefused, kVaryOnly},
      {"R13_default_policy_denies", "bare", Ws(kEvil), kA, 403,
       R::kR13WebsocketRefused, kVaryOnly},
      {"R13_default_policy_allowed_origin",
       "bare",
       Ws("https://bare.example.org"),
       kC,
       0,
       R::kR2OriginAllowed,
       {{"access-control-allow-origin", "https://bare.example.org"},
        {"vary+", "Origin"}}},
      {"R13_public_policy_allows_any_origin",
       "open",
       Ws(kEvil),
       kC,
       0,
       R::kR3Public,
       {{"access-control-allow-origin", "*"}, {"vary+", "Origin"}}},
      {"R13_upgrade_without_connection_is_not_websocket", "acme",
       Ws(kEvil, "websocket", "keep-alive"), kC, 0, R::kR2OriginNotAllowed,
       kVaryOnly},
      // R14: unsafe methods from refused origins.
      {"R14_delete_from_refused_origin", "acme", With(Get(kEvil), "DELETE"), kA,
       403, R::kR14UnsafeMethodDenied, kVaryOnly},
      {"R14_post_from_refused_origin", "acme", With(Get(kEvil), "POST"), kA,
       403, R::kR14UnsafeMethodDenied, kVaryOnly},
      {"R14_lowercase_get_is_not_safe", "acme", With(Get(kEvil), "get"), kA,
       403, R::kR14UnsafeMethodDenied, kVaryOnly},
      {"R14_non_canonical_origin_denied", "acme",
       With(Get("https://APP.example.com"), "PUT"), kA, 403,
       R::kR14UnsafeMethodDenied, kVaryOnly},
      {"R14_get_from_refused_origin_continues", "acme", Get(kEvil), kC, 0,
       R::kR2OriginNotAllowed, kVaryOnly},
      {"R14_options_without_acrm_is_safe", "acme", With(Get(kEvil), "OPTIONS"),
       kC, 0, R::kR2OriginNotAllowed, kVaryOnly},
      {"R14_head_is_safe", "acme", With(Get(kEvil), "HEAD"), kC, 0,
       R::kR2OriginNotAllowed, kVaryOnly},
      {"R14_delete_from_allowed_origin", "acme", With(Get(kApp), "DELETE"), kC,
       0, R::kR2OriginAllowed, Allowed(kApp)},
      {"R14_not_enforced", "acme", With(Get(kEvil, "/embed"), "DELETE"), kC, 0,
       R::kR2OriginNotAllowed, kVaryOnly},
      // Unknown tenant and tenant resolution by host.
      {"UNKNOWN_tenant_actual", "nope", Get(kApp), kC, 0, R::kUnknownTenant,
       kVaryOnly},
      {"UNKNOWN_tenant_preflight_403", "nope", Preflight(kApp, "PUT", {}), kA,
       403, R::kUnknownTenant, kVaryPreflightOnly},
      {"UNKNOWN_tenant_unsafe_denied_by_default", "nope",
       With(Get(kEvil), "DELETE"), kA, 403, R::kUnknownHostDenied, kVaryOnly},
      {"HOST_api_host", "", Host("api.acme.test"), kC, 0, R::kR2OriginAllowed,
       Allowed(kApp)},
      {"HOST_api_host_with_port", "", Host("api.acme.test:8443"), kC, 0,
       R::kR2OriginAllowed, Allowed(kApp)},
      {"HOST_api_host_uppercase", "", Host("API.Acme.Test"), kC, 0,
       R::kR2OriginAllowed, Allowed(kApp)},
      {"HOST_unknown_host", "", Host("api.other.test"), kC, 0,
       R::kUnknownTenant, kVaryOnly},
      {"HOST_empty_host", "", Host(""), kC, 0, R::kUnknownTenant, kVaryOnly},
      // Route classes: longest byte prefix of the path before "?".
      {"ROUTE_prefix_with_query",
       "acme",
       Get(kEvil, "/public?x=1"),
       kC,
       0,
       R::kR3Public,
       {{"access-control-allow-origin", "*"},
        {"access-control-expose-headers", "etag"},
        {"vary+", "Origin"}}},
      {"ROUTE_query_does_not_select", "acme", Get(kEvil, "/v1?/public"), kC, 0,
       R::kR2OriginNotAllowed, kVaryOnly},
      {"ROUTE_prefix_not_in_middle", "acme", Get(kEvil, "/v1/public"), kC, 0,
       R::kR2OriginNotAllowed, kVaryOnly},
  };
}

class DecideTest : public ::testing::TestWithParam<Case> {
 protected:
  static World* world() {
    static World* w = new World();
    return w;
  }
};

TEST_P(DecideTest, Rule) {
  const Case& c = GetParam();
  World* w = world();
  table::EpochManager::ReadGuard guard(w->epochs());
  const Request req = c.req.View();
  Decision d;
  w->engine().Decide(c.tenant, req, &d);
  const std::string why = w->engine().Explain(c.tenant, req, d);
  EXPECT_EQ(d.action, c.action) << why;
  EXPECT_EQ(d.status, c.status) << why;
  EXPECT_EQ(ReasonName(d.reason), ReasonName(c.reason)) << why;
  EXPECT_THAT(HeaderPairs(d), ::testing::ElementsAreArray(c.headers)) << why;
  EXPECT_FALSE(why.empty());
  if (c.reason == Reason::kUnknownTenant ||
      c.reason == Reason::kUnknownHostDenied) {
    EXPECT_EQ(d.tenant, table::kNoTenant);
  } else {
    EXPECT_EQ(d.tenant_name, c.tenant.empty() ? "acme" : c.tenant);
  }
}

INSTANTIATE_TEST_SUITE_P(Rules, DecideTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.name;
                         });

// ---- EngineOptions::unknown_host: requests no tenant owns ----------------

constexpr char kOther[] = "api.other.test";

struct UnknownCase {
  std::string name;
  UnknownHost mode;
  std::string tenant;
  OwnedRequest req;
  Action action;
  int status;
  Reason reason;
  Reason cause;
  std::string offending;
  Headers headers;
};

// `r` sent to the host no tenant owns (or to `host`).
OwnedRequest To(OwnedRequest r, std::string host = kOther) {
  r.host = std::move(host);
  return r;
}

std::vector<UnknownCase> UnknownCases() {
  using R = Reason;
  constexpr UnknownHost kDeny = UnknownHost::kDeny;
  constexpr UnknownHost kCont = UnknownHost::kContinue;
  constexpr R kNone = R::kUnspecified;
  constexpr R kUT = R::kUnknownTenant;
  constexpr R kUHD = R::kUnknownHostDenied;
  constexpr R kR13 = R::kR13WebsocketRefused;
  constexpr R kR14 = R::kR14UnsafeMethodDenied;
  return {
      // deny (the default): WebSocket or a non-safe method with a
      // cross-site Origin is 403.
      {"DENY_websocket_with_origin", kDeny, "", To(Ws(kEvil)), kA, 403, kUHD,
       kR13, "", kVaryOnly},
      {"DENY_websocket_from_null", kDeny, "", To(Ws("null")), kA, 403, kUHD,
       kR13, "", kVaryOnly},
      {"DENY_websocket_mixed_case_tokens", kDeny, "",
       To(Ws(kEvil, "WebSocket", "keep-alive, Upgrade")), kA, 403, kUHD, kR13,
       "", kVaryOnly},
      {"DENY_put_with_origin", kDeny, "", To(With(Get(kEvil), "PUT")), kA, 403,
       kUHD, kR14, "PUT", kVaryOnly},
      {"DENY_post_from_an_origin_a_tenant_allows", kDeny, "",
       To(With(Get(kApp), "POST")), kA, 403, kUHD, kR14, "POST", kVaryOnly},
      {"DENY_delete_from_null", kDeny, "", To(With(Get("null"), "DELETE")), kA,
       403, kUHD, kR14, "DELETE", kVaryOnly},
      {"DENY_lowercase_get_is_not_safe", kDeny, "", To(With(Get(kEvil), "get")),
       kA, 403, kUHD, kR14, "get", kVaryOnly},
      {"DENY_non_canonical_origin", kDeny, "",
       To(With(Get("https://API.other.test"), "PUT")), kA, 403, kUHD, kR14,
       "PUT", kVaryOnly},
      {"DENY_sibling_host_is_cross_site", kDeny, "",
       To(With(Get("https://www.other.test"), "PUT")), kA, 403, kUHD, kR14,
       "PUT", kVaryOnly},
      {"DENY_host_as_prefix_of_origin", kDeny, "",
       To(With(Get("https://api.other.test.evil.example"), "PUT")), kA, 403,
       kUHD, kR14, "PUT", kVaryOnly},
      {"DENY_own_host_other_port", kDeny, "",
       To(With(Get("https://api.other.test"), "PUT"), "api.other.test:8443"),
       kA, 403, kUHD, kR14, "PUT", kVaryOnly},
      {"DENY_empty_host", kDeny, "", To(With(Get(kEvil), "PUT"), ""), kA, 403,
       kUHD, kR14, "PUT", kVaryOnly},
      {"DENY_named_unknown_tenant", kDeny, "nope", With(Get(kEvil), "PATCH"),
       kA, 403, kUHD, kR14, "PATCH", kVaryOnly},
      // deny: everything else continues as before.
      {"DENY_get_with_origin_continues", kDeny, "", To(Get(kEvil)), kC, 0, kUT,
       kNone, "", kVaryOnly},
      {"DENY_head_with_origin_continues", kDeny, "",
       To(With(Get(kEvil), "HEAD")), kC, 0, kUT, kNone, "", kVaryOnly},
      {"DENY_options_without_acrm_continues", kDeny, "",
       To(With(Get(kEvil), "OPTIONS")), kC, 0, kUT, kNone, "", kVaryOnly},
      {"DENY_put_without_origin_continues", kDeny, "", To(NoOrigin("PUT")), kC,
       0, kUT, kNone, "", kVaryOnly},
      {"DENY_websocket_without_origin_continues", kDeny, "",
       [] {
         OwnedRequest r = To(NoOrigin("GET"));
         r.upgrade = "websocket";
         r.connection = "Upgrade";
         return r;
       }(),
       kC, 0, kUT, kNone, "", kVaryOnly},
      {"DENY_put_from_own_origin_continues", kDeny, "",
       To(With(Get("https://api.other.test"), "PUT")), kC, 0, kUT, kNone, "",
       kVaryOnly},
      {"DENY_websocket_from_own_origin_with_port_continues", kDeny, "",
       To(Ws("http://api.other.test:8080"), "api.other.test:8080"), kC, 0, kUT,
       kNone, "", kVaryOnly},
      {"DENY_own_origin_host_case_ignored", kDeny, "",
       To(With(Get("https://api.other.test"), "DELETE"), "API.Other.Test"), kC,
       0, kUT, kNone, "", kVaryOnly},
      {"DENY_preflight_unchanged", kDeny, "", To(Preflight(kEvil, "PUT", {})),
       kA, 403, kUT, kNone, "", kVaryPreflightOnly},
      {"DENY_preflight_from_own_origin_unchanged", kDeny, "",
       To(Preflight("https://api.other.test", "PUT", {})), kA, 403, kUT, kNone,
       "", kVaryPreflightOnly},
      // continue: as corsd decided before --unknown-host existed.
      {"CONTINUE_websocket_with_origin", kCont, "", To(Ws(kEvil)), kC, 0, kUT,
       kNone, "", kVaryOnly},
      {"CONTINUE_put_with_origin", kCont, "", To(With(Get(kEvil), "PUT")), kC,
       0, kUT, kNone, "", kVaryOnly},
      {"CONTINUE_delete_from_null", kCont, "", To(With(Get("null"), "DELETE")),
       kC, 0, kUT, kNone, "", kVaryOnly},
      {"CONTINUE_named_unknown_tenant", kCont, "nope",
       With(Get(kEvil), "PATCH"), kC, 0, kUT, kNone, "", kVaryOnly},
      {"CONTINUE_get_with_origin", kCont, "", To(Get(kEvil)), kC, 0, kUT, kNone,
       "", kVaryOnly},
      {"CONTINUE_put_without_origin", kCont, "", To(NoOrigin("PUT")), kC, 0,
       kUT, kNone, "", kVaryOnly},
      {"CONTINUE_preflight_unchanged", kCont, "",
       To(Preflight(kEvil, "PUT", {})), kA, 403, kUT, kNone, "",
       kVaryPreflightOnly},
      // Known tenants are never affected by the option.
      {"CONTINUE_known_tenant_still_enforces_R13", kCont, "", Ws(kEvil), kA,
       403, R::kR13WebsocketRefused, R::kR2OriginNotAllowed, "", kVaryOnly},
      {"DENY_known_tenant_own_policy_decides", kDeny, "",
       Ws(kEvil, "websocket", "upgrade", "/wsopen"), kC, 0,
       R::kR2OriginNotAllowed, kNone, "", kVaryOnly},
  };
}

class UnknownHostTest : public ::testing::TestWithParam<UnknownCase> {
 protected:
  static World* world(UnknownHost mode) {
    static World* deny = new World(EngineOptions{UnknownHost::kDeny});
    static World* cont = new World(EngineOptions{UnknownHost::kContinue});
    return mode == UnknownHost::kDeny ? deny : cont;
  }
};

TEST_P(UnknownHostTest, Decides) {
  const UnknownCase& c = GetParam();
  World* w = world(c.mode);
  table::EpochManager::ReadGuard guard(w->epochs());
  const Request req = c.req.View();
  Decision d;
  w->engine().Decide(c.tenant, req, &d);
  const std::string why = w->engine().Explain(c.tenant, req, d);
  EXPECT_EQ(d.action, c.action) << why;
  EXPECT_EQ(d.status, c.status) << why;
  EXPECT_EQ(ReasonName(d.reason), ReasonName(c.reason)) << why;
  EXPECT_EQ(ReasonName(d.cause), ReasonName(c.cause)) << why;
  EXPECT_EQ(std::string(d.offending), c.offending) << why;
  EXPECT_THAT(HeaderPairs(d), ::testing::ElementsAreArray(c.headers)) << why;
  EXPECT_FALSE(why.empty());
  if (c.reason == Reason::kUnknownTenant ||
      c.reason == Reason::kUnknownHostDenied) {
    EXPECT_EQ(d.tenant, table::kNoTenant);
    EXPECT_EQ(d.rules, nullptr);
  } else {
    EXPECT_EQ(d.tenant_name, "acme");
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, UnknownHostTest,
                         ::testing::ValuesIn(UnknownCases()),
                         [](const ::testing::TestParamInfo<UnknownCase>& info) {
                           return info.param.name;
                         });

TEST(UnknownHostOptionTest, DefaultIsDeny) {
  EXPECT_EQ(EngineOptions{}.unknown_host, UnknownHost::kDeny);
  World w;  // the fixture's default engine options
  table::EpochManager::ReadGuard guard(w.epochs());
  const OwnedRequest put = To(With(Get(kEvil), "PUT"));
  Decision d;
  w.engine().Decide("", put.View(), &d);
  EXPECT_EQ(d.reason, Reason::kUnknownHostDenied);
  EXPECT_EQ(d.status, 403);
}

TEST(UnknownHostOptionTest, FlagSpelling) {
  UnknownHost mode = UnknownHost::kContinue;
  EXPECT_TRUE(ParseUnknownHost("deny", &mode));
  EXPECT_EQ(mode, UnknownHost::kDeny);
  EXPECT_TRUE(ParseUnknownHost("continue", &mode));
  EXPECT_EQ(mode, UnknownHost::kContinue);
  for (const char* bad : {"", "Deny", "allow", "deny ", "true"}) {
    EXPECT_FALSE(ParseUnknownHost(bad, &mode)) << bad;
    EXPECT_EQ(mode, UnknownHost::kContinue) << bad;
  }
  std::string error;
  EXPECT_FALSE(AbslParseFlag("open", &mode, &error));
  EXPECT_EQ(error, "expected \"deny\" or \"continue\"");
  EXPECT_TRUE(AbslParseFlag("deny", &mode, &error));
  EXPECT_EQ(AbslUnparseFlag(UnknownHost::kDeny), "deny");
  EXPECT_EQ(AbslUnparseFlag(UnknownHost::kContinue), "continue");
  EXPECT_EQ(UnknownHostName(UnknownHost::kContinue), "continue");
}

TEST(DecideContractTest, OverwritesPreviousDecision) {
  World w;
  table::EpochManager::ReadGuard guard(w.epochs());
  Decision d;
  OwnedRequest allowed = Get(kApp);
  w.engine().Decide("acme", allowed.View(), &d);
  ASSERT_EQ(d.header_count, 4);
  OwnedRequest none = NoOrigin("GET");
  w.engine().Decide("acme", none.View(), &d);
  EXPECT_EQ(d.header_count, 1);
  EXPECT_EQ(d.reason, Reason::kR1NoOrigin);
  EXPECT_TRUE(d.offending.empty());
}

TEST(DecideContractTest, PolicySwapIsSeenByTheNextDecision) {
  World w;
  policy::Policy p = testing::AcmePolicy();
  p.allowed_headers.push_back("x-tenant-id");
  OwnedRequest pre = Preflight(kApp, "PUT", "x-tenant-id");
  {
    table::EpochManager::ReadGuard guard(w.epochs());
    Decision d;
    w.engine().Decide("acme", pre.View(), &d);
    EXPECT_EQ(d.reason, Reason::kR8HeaderNotAllowed);
  }
  w.SetPolicy("acme", p);
  table::EpochManager::ReadGuard guard(w.epochs());
  Decision d;
  w.engine().Decide("acme", pre.View(), &d);
  EXPECT_EQ(d.reason, Reason::kR6PreflightAllowed);
}

TEST(DecideContractTest, HeadersAreLowercaseAndOnlyVaryAppends) {
  World w;
  table::EpochManager::ReadGuard guard(w.epochs());
  for (const Case& c : Cases()) {
    const Request req = c.req.View();
    Decision d;
    w.engine().Decide(c.tenant, req, &d);
    for (const ResponseHeader& h : d.Headers()) {
      EXPECT_EQ(std::string(h.name), absl::AsciiStrToLower(h.name)) << c.name;
      EXPECT_EQ(h.append, h.name == "vary") << c.name;
    }
    // R5: every answer for a request with an Origin varies on Origin.
    ASSERT_GT(d.header_count, 0) << c.name;
    EXPECT_EQ(d.Headers().back().name, "vary") << c.name;
  }
}

}  // namespace
}  // namespace corsd::decision
