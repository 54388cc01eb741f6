#include "service/rpc/ext_authz_mapping.h"

#include <string>

#include "gtest/gtest.h"
#include "service/rpc/limits.h"

namespace corsd::rpc {
namespace {

using envoy::service::auth::v3::CheckRequest;
using envoy::service::auth::v3::CheckResponse;

CheckRequest Envoy(
    std::initializer_list<std::pair<std::string, std::string>> headers) {
  CheckRequest check;
  auto* http = check.mutable_attributes()->mutable_request()->mutable_http();
  for (const auto& [k, v] : headers) (*http->mutable_headers())[k] = v;
  return check;
}

TEST(ReadCheckRequestTest, PreflightFromPseudoHeaders) {
  CheckRequest check =
      Envoy({{":method", "OPTIONS"},
             {":scheme", "https"},
             {":authority", "api.example.com"},
             {":path", "/v1/items?x=1"},
             {"origin", "https://shop.example.com"},
             {"access-control-request-method", "PUT"},
             {"access-control-request-headers", "x-a,content-type"}});
  CheckInput in;
  ASSERT_TRUE(ReadCheckRequest(check, "", &in).ok());
  EXPECT_EQ(in.request.method, "OPTIONS");
  EXPECT_EQ(in.request.scheme, "https");
  EXPECT_EQ(in.request.host, "api.example.com");
  EXPECT_EQ(in.request.path, "/v1/items?x=1");
  EXPECT_TRUE(in.request.has_origin);
  EXPECT_EQ(in.request.origin, "https://shop.example.com");
  EXPECT_TRUE(in.request.has_access_control_request_method);
  EXPECT_EQ(in.request.access_control_request_method, "PUT");
  EXPECT_TRUE(in.request.has_access_control_request_headers);
  EXPECT_EQ(in.request.access_control_request_headers, "x-a,content-type");
  EXPECT_FALSE(in.request.has_access_control_request_private_network);
  EXPECT_FALSE(in.request.credentials);
  EXPECT_TRUE(in.tenant.named.empty());
  EXPECT_TRUE(in.tenant.header.empty());
}

TEST(ReadCheckRequestTest, HttpFieldsWinOverPseudoHeaders) {
  CheckRequest check = Envoy({{":method", "GET"}, {":authority", "a.com"}});
  auto* http = check.mutable_attributes()->mutable_request()->mutable_http();
  http->set_method("POST");
  http->set_host("b.com");
  http->set_path("/p");
  http->set_scheme("http");
  CheckInput in;
  ASSERT_TRUE(ReadCheckRequest(check, "", &in).ok());
  EXPECT_EQ(in.request.method, "POST");
  EXPECT_EQ(in.request.host, "b.com");
  EXPECT_EQ(in.request.path, "/p");
  EXPECT_EQ(in.request.scheme, "http");
}

TEST(ReadCheckRequestTest, HostHeaderWhenNoAuthority) {
  CheckRequest check = Envoy({{"host", "c.com"}});
  CheckInput in;
  ASSERT_TRUE(ReadCheckRequest(check, "", &in).ok());
  EXPECT_EQ(in.request.host, "c.com");
  EXPECT_FALSE(in.request.has_origin);
}

TEST(ReadCheckRequestTest, TenantFromContextExtensionsAndFallbackHeader) {
  CheckRequest check = Envoy({{"x-tenant", "acme"}, {"cookie", "a=b"}});
  (*check.mutable_attributes()->mutable_context_extensions())["tenant"] =
      "globex";
  CheckInput in;
  ASSERT_TRUE(ReadCheckRequest(check, "x-tenant", &in).ok());
  EXPECT_EQ(in.tenant.named, "globex");
  EXPECT_EQ(in.tenant.header, "acme");
  EXPECT_TRUE(in.request.credentials);
}

TEST(ReadCheckRequestTest, AuthorizationMeansCredentials) {
  CheckRequest check = Envoy({{"authorization", "Bearer x"}});
  CheckInput in;
  ASSERT_TRUE(ReadCheckRequest(check, "", &in).ok());
  EXPECT_TRUE(in.request.credentials);
}

TEST(ReadCheckRequestTest, WebSocketUpgradeHeaders) {
  CheckRequest check = Envoy({{"upgrade", "websocket"},
                              {"connection", "Upgrade"},
                              {"origin", "https://evil.example"}});
  CheckInput in;
  ASSERT_TRUE(ReadCheckRequest(check, "", &in).ok());
  EXPECT_EQ(in.request.upgrade, "websocket");
  EXPECT_EQ(in.request.connection, "Upgrade");
}

TEST(ReadCheckRequestTest, RawHeaderMapJoinsRepeats) {
  CheckRequest check;
  auto* map = check.mutable_attributes()
                  ->mutable_request()
                  ->mutable_http()
                  ->mutable_header_map();
  auto add = [&](const char* k, const char* v, bool raw) {
    auto* h = map->add_headers();
    h->set_key(k);
    if (raw) {
      h->set_raw_value(v);
    } else {
      h->set_value(v);
    }
  };
  add(":method", "OPTIONS", true);
  add("origin", "https://a.example", true);
  add("access-control-request-headers", "x-a", true);
  add("access-control-request-headers", "x-b", false);
  CheckInput in;
  ASSERT_TRUE(ReadCheckRequest(check, "", &in).ok());
  EXPECT_EQ(in.request.method, "OPTIONS");
  EXPECT_EQ(in.request.origin, "https://a.example");
  EXPECT_EQ(in.request.access_control_request_headers, "x-a,x-b");
}

TEST(ReadCheckRequestTest, TooManyHeadersNamesTheLimit) {
  CheckRequest check;
  auto* headers = check.mutable_attributes()
                      ->mutable_request()
                      ->mutable_http()
                      ->mutable_headers();
  for (size_t i = 0; i <= kMaxCheckHeaders; ++i) {
    (*headers)["x-h" + std::to_string(i)] = "v";
  }
  CheckInput in;
  absl::Status s = ReadCheckRequest(check, "", &in);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("the limit is 256 headers"), std::string::npos)
      << s;
}

TEST(ReadCheckRequestTest, OversizedHeaderNamesTheLimit) {
  CheckRequest check =
      Envoy({{"x-big", std::string(kMaxCheckHeaderBytes, 'a')}});
  CheckInput in;
  absl::Status s = ReadCheckRequest(check, "", &in);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("x-big"), std::string::npos) << s;
  EXPECT_NE(s.message().find("8192 bytes per header"), std::string::npos) << s;
}

TEST(ReadCheckRequestTest, OversizedOriginNamesTheLimit) {
  CheckRequest check =
      Envoy({{"origin", "https://" + std::string(kMaxOriginBytes, 'a')}});
  CheckInput in;
  absl::Status s = ReadCheckRequest(check, "", &in);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("\"origin\""), std::string::npos) << s;
  EXPECT_NE(s.message().find("2048"), std::string::npos) << s;
}

TEST(ReadCheckRequestTest, OversizedTenantExtensionNamesTheLimit) {
  CheckRequest check;
  (*check.mutable_attributes()->mutable_context_extensions())["tenant"] =
      std::string(kMaxContextExtensionBytes + 1, 't');
  CheckInput in;
  absl::Status s = ReadCheckRequest(check, "", &in);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("context_extensions"), std::string::npos) << s;
}

void AddHeader(decision::Decision* d, absl::string_view name,
               absl::string_view value, bool append) {
  d->headers[d->header_count++] = decision::ResponseHeader{name, value, append};
}

TEST(FillCheckResponseTest, ContinueAddsResponseHeadersWithAppend) {
  decision::Decision d;
  d.action = decision::Action::kContinue;
  d.reason = decision::Reason::kR2OriginAllowed;
  AddHeader(&d, "access-control-allow-origin", "https://a.example", false);
  AddHeader(&d, "vary", "Origin", true);
  CheckResponse r;
  FillCheckResponse(d, &r);
  EXPECT_EQ(r.status().code(), 0);
  ASSERT_TRUE(r.has_ok_response());
  const auto& add = r.ok_response().response_headers_to_add();
  ASSERT_EQ(add.size(), 2);
  EXPECT_EQ(add[0].header().key(), "access-control-allow-origin");
  EXPECT_EQ(add[0].header().value(), "https://a.example");
  ASSERT_TRUE(add[0].has_append());
  EXPECT_FALSE(add[0].append().value());
  EXPECT_EQ(add[1].header().key(), "vary");
  ASSERT_TRUE(add[1].has_append());
  EXPECT_TRUE(add[1].append().value());
  EXPECT_EQ(r.ok_response().headers_size(), 0);
}

TEST(FillCheckResponseTest, AnswerIsDeniedWithStatusAndHeaders) {
  decision::Decision d;
  d.action = decision::Action::kAnswer;
  d.status = 204;
  d.reason = decision::Reason::kR6PreflightAllowed;
  AddHeader(&d, "access-control-allow-methods", "PUT", false);
  AddHeader(&d, "vary", "Origin, Access-Control-Request-Method", true);
  CheckResponse r;
  FillCheckResponse(d, &r);
  EXPECT_EQ(r.status().code(), 7);
  EXPECT_EQ(r.status().message(), "REASON_R6_PREFLIGHT_ALLOWED");
  ASSERT_TRUE(r.has_denied_response());
  EXPECT_EQ(r.denied_response().status().code(), envoy::type::v3::NoContent);
  ASSERT_EQ(r.denied_response().headers_size(), 2);
  EXPECT_EQ(r.denied_response().headers(0).header().key(),
            "access-control-allow-methods");
  EXPECT_FALSE(r.denied_response().headers(0).has_append());
  EXPECT_FALSE(r.denied_response().headers(1).has_append());
}

TEST(FillCheckResponseTest, DynamicMetadataCarriesReasonRuleTenantAndId) {
  for (const decision::Action action :
       {decision::Action::kContinue, decision::Action::kAnswer}) {
    decision::Decision d;
    d.action = action;
    d.status = action == decision::Action::kAnswer ? 403 : 0;
    d.reason = decision::Reason::kR14UnsafeMethodDenied;
    d.tenant_name = "acme";
    CheckResponse r;
    FillCheckResponse(d, &r, "0123456789abcdef");
    const auto& fields = r.dynamic_metadata().fields();
    ASSERT_EQ(fields.size(), 4u);
    EXPECT_EQ(fields.at("reason").string_value(),
              "REASON_R14_UNSAFE_METHOD_DENIED");
    EXPECT_EQ(fields.at("rule").string_value(), "R14");
    EXPECT_EQ(fields.at("tenant").string_value(), "acme");
    EXPECT_EQ(fields.at("decision_id").string_value(), "0123456789abcdef");
  }
  // No tenant, no id: the keys are there with "" (rule and tenant); the id
  // is left out.
  decision::Decision unknown;
  unknown.action = decision::Action::kContinue;
  unknown.reason = decision::Reason::kUnknownTenant;
  CheckResponse r;
  FillCheckResponse(unknown, &r);
  const auto& fields = r.dynamic_metadata().fields();
  EXPECT_EQ(fields.size(), 3u);
  EXPECT_EQ(fields.at("reason").string_value(), "REASON_UNKNOWN_TENANT");
  EXPECT_EQ(fields.at("rule").string_value(), "");
  EXPECT_EQ(fields.at("tenant").string_value(), "");
  EXPECT_EQ(fields.count("decision_id"), 0u);
}

TEST(FillCheckResponseTest, WebSocketRefusedIs403) {
  decision::Decision d;
  d.action = decision::Action::kAnswer;
  d.status = 403;
  d.reason = decision::Reason::kR13WebsocketRefused;
  AddHeader(&d, "vary", "Origin", true);
  CheckResponse r;
  FillCheckResponse(d, &r);
  EXPECT_NE(r.status().code(), 0);
  EXPECT_EQ(r.denied_response().status().code(), envoy::type::v3::Forbidden);
}

}  // namespace
TEST(ReadCheckRequestTest, ForbiddenBytesAreRefusedNamingTheHeader) {
  for (const std::string& bad :
       {std::string("\r"), std::string("\n"), std::string("\0", 1)}) {
    CheckRequest check = Envoy(
        {{":method", "GET"}, {"origin", "https://a.example" + bad + "x"}});
    CheckInput in;
    const absl::Status s = ReadCheckRequest(check, "", &in);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find("header \"origin\""), std::string::npos) << s;
    EXPECT_NE(s.message().find("no CR, LF or NUL"), std::string::npos) << s;
  }
}

}  // namespace corsd::rpc
