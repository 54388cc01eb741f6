// R8: CheckRequestHeaders, the one-pass Access-Control-Request-Headers check.
#include "service/decision/request_headers.h"

#include <array>
#include <string>

#include "gtest/gtest.h"
#include "service/decision/engine.h"

namespace corsd::decision {
namespace {

constexpr HeaderListLimits kLimits = {kMaxRequestHeadersBytes,
                                      kMaxRequestHeaderNames,
                                      kMaxRequestHeaderNameBytes};

std::unique_ptr<const policy::CompiledPolicy> Compile(
    std::vector<std::string> headers, bool credentials = false) {
  policy::Policy p;
  p.allowed_headers = std::move(headers);
  p.allow_credentials = credentials;
  return std::move(policy::Validate(p)).value();
}

struct Outcome {
  HeaderListResult result;
  std::string echo;
};

Outcome Check(absl::string_view value, const policy::CompiledPolicy& p,
              bool credentials, bool echo) {
  static std::array<char, kMaxRequestHeadersBytes> scratch;
  Outcome r;
  r.result = CheckRequestHeaders(value, p.defaults(), credentials, echo,
                                 kLimits, scratch.data());
  r.echo = std::string(r.result.echo);
  return r;
}

TEST(RequestHeadersTest, R8_ListedNamesAnyCaseAndSpacing) {
  auto p = Compile({"X-Request-ID", "authorization"});
  for (absl::string_view v :
       {"x-request-id", "X-REQUEST-ID", " x-request-id ", "\tx-request-id,",
        ",,authorization,,x-request-id", "x-request-id, authorization", ""}) {
    Outcome r = Check(v, *p, false, false);
    EXPECT_EQ(r.result.status, HeaderListStatus::kOk) << v;
  }
}

TEST(RequestHeadersTest, R8_SafelistedNamesAlwaysAllowed) {
  auto p = Compile({});
  Outcome r =
      Check("accept,accept-language,content-language,content-type,range", *p,
            true, false);
  EXPECT_EQ(r.result.status, HeaderListStatus::kOk);
  EXPECT_EQ(r.result.names, 5u);
}

TEST(RequestHeadersTest, R8_FirstUnlistedNameIsReportedAsSent) {
  auto p = Compile({"x-a"});
  Outcome r = Check("x-a, X-Tenant-ID , x-other", *p, false, false);
  EXPECT_EQ(r.result.status, HeaderListStatus::kNotAllowed);
  EXPECT_EQ(r.result.offending, "X-Tenant-ID");
}

TEST(RequestHeadersTest, R8_StarCoversAnyButAuthorizationWithoutCredentials) {
  auto p = Compile({"*"});
  EXPECT_EQ(Check("x-anything", *p, false, false).result.status,
            HeaderListStatus::kOk);
  EXPECT_EQ(Check("x-anything", *p, true, false).result.status,
            HeaderListStatus::kNotAllowed);
  Outcome r = Check("x-a,Authorization", *p, false, false);
  EXPECT_EQ(r.result.status, HeaderListStatus::kNotAllowed);
  EXPECT_EQ(r.result.offending, "Authorization");
  auto listed = Compile({"*", "authorization"});
  EXPECT_EQ(Check("x-a,authorization", *listed, false, false).result.status,
            HeaderListStatus::kOk);
}

TEST(RequestHeadersTest, R8_EchoIsAViewWhenAlreadyBrowserForm) {
  auto p = Compile({"*"});
  const std::string value = "content-type,x-a,x-b";
  Outcome r = Check(value, *p, false, true);
  ASSERT_EQ(r.result.status, HeaderListStatus::kOk);
  EXPECT_EQ(r.echo, value);
  EXPECT_EQ(r.result.echo.data(), value.data());  // no copy
}

TEST(RequestHeadersTest, R8_EchoIsNormalizedOtherwise) {
  auto p = Compile({"*"});
  EXPECT_EQ(Check(" X-A ,,x-b,\t", *p, false, true).echo, "x-a,x-b");
  EXPECT_EQ(Check("X-A", *p, false, true).echo, "x-a");
  EXPECT_EQ(Check("", *p, false, true).echo, "");
  EXPECT_EQ(Check(" , ", *p, false, true).echo, "");
}

TEST(RequestHeadersTest, R8_MalformedItems) {
  auto p = Compile({"*"});
  for (absl::string_view v : {"x a", "x-a,b\"c", "x-a,(b)", "x;y", "é"}) {
    Outcome r = Check(v, *p, false, false);
    EXPECT_EQ(r.result.status, HeaderListStatus::kNotToken) << v;
    EXPECT_FALSE(r.result.offending.empty()) << v;
  }
}

TEST(RequestHeadersTest, R8_LimitsAreExact) {
  auto p = Compile({"*"});
  std::string at_names;
  for (size_t i = 0; i < kMaxRequestHeaderNames; ++i) {
    at_names += (i ? ",x" : "x");
  }
  EXPECT_EQ(Check(at_names, *p, false, false).result.status,
            HeaderListStatus::kOk);
  EXPECT_EQ(Check(at_names + ",x", *p, false, false).result.status,
            HeaderListStatus::kTooMany);

  const std::string name_at(kMaxRequestHeaderNameBytes, 'x');
  EXPECT_EQ(Check(name_at, *p, false, false).result.status,
            HeaderListStatus::kOk);
  EXPECT_EQ(Check(name_at + "x", *p, false, false).result.status,
            HeaderListStatus::kNameTooLong);

  std::string bytes_at(kMaxRequestHeadersBytes, ' ');
  bytes_at[0] = 'x';
  EXPECT_EQ(Check(bytes_at, *p, false, false).result.status,
            HeaderListStatus::kOk);
  EXPECT_EQ(Check(bytes_at + " ", *p, false, false).result.status,
            HeaderListStatus::kTooLong);
}

TEST(RequestHeadersTest, R8_HostileListStopsEarly) {
  auto p = Compile({"*"});
  // 1000 names within the byte limit: the count limit stops the pass.
  std::string many;
  for (int i = 0; i < 1000; ++i) many += (i ? ",a" : "a");
  Outcome r = Check(many, *p, false, true);
  EXPECT_EQ(r.result.status, HeaderListStatus::kTooMany);
  EXPECT_EQ(r.result.names, kMaxRequestHeaderNames + 1);
}

}  // namespace
}  // namespace corsd::decision
