#include "client/corsctl/browser.h"

#include "gtest/gtest.h"

namespace corsd::corsctl {
namespace {

Headers Make(std::vector<std::pair<std::string, std::string>> list) {
  Headers out;
  for (auto& [name, value] : list) {
    corsd::v1::Header* h = out.Add();
    h->set_name(name);
    h->set_value(value);
  }
  return out;
}

BrowserRequest Req(std::string method = "GET", bool credentials = false) {
  BrowserRequest r;
  r.origin = "https://app.example.com";
  r.method = method;
  r.credentials = credentials;
  return r;
}

TEST(BrowserTest, PreflightNeededForUnsafeMethodOrHeader) {
  EXPECT_FALSE(NeedsPreflight(Req("GET")));
  EXPECT_FALSE(NeedsPreflight(Req("post")));  // normalized to POST
  EXPECT_TRUE(NeedsPreflight(Req("PUT")));
  EXPECT_TRUE(NeedsPreflight(Req("patch")));  // not normalized: "patch"
  BrowserRequest r = Req();
  r.headers.push_back(
      {"Content-Type", std::string("text/plain;charset=utf-8")});
  EXPECT_FALSE(NeedsPreflight(r));
  r.headers.push_back({"Content-Type", absl::nullopt});  // JSON assumed
  r.headers.push_back({"X-Api-Key", absl::nullopt});
  EXPECT_TRUE(NeedsPreflight(r));
  EXPECT_EQ(UnsafeHeaderNames(r),
            (std::vector<std::string>{"content-type", "x-api-key"}));
  r = Req();
  r.force_preflight = true;
  EXPECT_TRUE(NeedsPreflight(r));
}

TEST(BrowserTest, CorsCheck) {
  EXPECT_FALSE(CorsCheck(Req(), Make({})).ok);
  EXPECT_EQ(CorsCheck(Req(), Make({})).sentence,
            "the browser will block this response: "
            "Access-Control-Allow-Origin is missing");
  EXPECT_TRUE(CorsCheck(Req(), Make({{"access-control-allow-origin",
                                      "https://app.example.com"}}))
                  .ok);
  EXPECT_TRUE(
      CorsCheck(Req(), Make({{"access-control-allow-origin", "*"}})).ok);
  EXPECT_FALSE(
      CorsCheck(Req("GET", true), Make({{"access-control-allow-origin", "*"}}))
          .ok);
  EXPECT_FALSE(CorsCheck(Req(), Make({{"access-control-allow-origin",
                                       "https://other.com"}}))
                   .ok);
  EXPECT_FALSE(CorsCheck(Req(), Make({{"access-control-allow-origin", "a"},
                                      {"access-control-allow-origin", "b"}}))
                   .ok);
  BrowserVerdict creds = CorsCheck(
      Req("GET", true),
      Make({{"access-control-allow-origin", "https://app.example.com"}}));
  EXPECT_FALSE(creds.ok);
  EXPECT_NE(creds.sentence.find("Access-Control-Allow-Credentials is missing"),
            std::string::npos);
  EXPECT_TRUE(CorsCheck(Req("GET", true),
                        Make({{"access-control-allow-origin",
                               "https://app.example.com"},
                              {"access-control-allow-credentials", "true"}}))
                  .ok);
}

TEST(BrowserTest, PreflightChecksMethodsAndHeaders) {
  const auto allow = [](std::string methods, std::string headers) {
    return Make({{"access-control-allow-origin", "https://app.example.com"},
                 {"access-control-allow-methods", methods},
                 {"access-control-allow-headers", headers}});
  };
  BrowserRequest r = Req("PUT");
  r.headers.push_back({"X-Api-Key", absl::nullopt});
  EXPECT_TRUE(PreflightCheck(r, 204, allow("GET, PUT", "x-api-key")).ok);
  EXPECT_FALSE(PreflightCheck(r, 403, allow("PUT", "x-api-key")).ok);
  BrowserVerdict no_method = PreflightCheck(r, 204, allow("GET", "x-api-key"));
  EXPECT_FALSE(no_method.ok);
  EXPECT_NE(no_method.sentence.find("Access-Control-Allow-Methods lacks PUT"),
            std::string::npos);
  BrowserVerdict no_header = PreflightCheck(r, 204, allow("PUT", "x-other"));
  EXPECT_EQ(no_header.sentence,
            "the browser will block the request: Access-Control-Allow-Headers "
            "lacks x-api-key");
  EXPECT_TRUE(PreflightCheck(r, 204, allow("PUT", "*")).ok);
  r.headers.push_back({"Authorization", absl::nullopt});
  EXPECT_FALSE(PreflightCheck(r, 204, allow("PUT", "*")).ok);  // never covered
  r.credentials = true;
  EXPECT_FALSE(
      PreflightCheck(r, 204, allow("*", "x-api-key, authorization")).ok);
}

TEST(BrowserTest, ReadableHeaders) {
  std::vector<std::string> readable = ReadableResponseHeaders(
      Req(), Make({{"access-control-expose-headers", "X-Request-ID"}}));
  EXPECT_NE(std::find(readable.begin(), readable.end(), "x-request-id"),
            readable.end());
  EXPECT_NE(std::find(readable.begin(), readable.end(), "content-type"),
            readable.end());
}

}  // namespace
}  // namespace corsd::corsctl
