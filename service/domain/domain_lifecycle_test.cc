#include "service/domain/domain_lifecycle.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace corsd::domain {
namespace {

using corsd::v1::CustomDomain;

constexpr int64_t kHour = 3600 * 1000;

LifecycleConfig Config() {
  LifecycleConfig c;
  c.first_retry = absl::Seconds(30);
  c.max_retry = absl::Hours(1);
  c.recheck = absl::Hours(24);
  c.grace = absl::Hours(72);
  c.jitter = 0.1;
  return c;
}

ProofResult Proven() { return {ProofOutcome::kProven, "seen", {}}; }
ProofResult Failed() {
  return {ProofOutcome::kWrongValue, "TXT has 1 value", {"other"}};
}

CustomDomain Pending() {
  return NewDomain("t", "shop.example.com", corsd::v1::DOMAIN_METHOD_DNS,
                   NewToken(), 1000);
}

// One row: a record in `from` (built by `setup` applied to a pending
// domain), an attempt with `outcome` at `at_ms`, the state after.
struct Transition {
  std::string name;
  int fails_before;      // failed attempts before (after a first success
                         // when verified_before)
  bool verified_before;  // a successful attempt first, at t=1000
  int64_t at_ms;
  bool proven;
  corsd::v1::DomainState after;
  bool grants_after;
};

class LifecycleTransitionTest : public testing::TestWithParam<Transition> {};

TEST_P(LifecycleTransitionTest, Moves) {
  const Transition& t = GetParam();
  const LifecycleConfig config = Config();
  CustomDomain d = Pending();
  int64_t now = 1000;
  if (t.verified_before) d = AfterAttempt(d, Proven(), now, config, 0.5);
  for (int i = 0; i < t.fails_before; ++i) {
    now += 1000;
    d = AfterAttempt(d, Failed(), now, config, 0.5);
  }
  d = AfterAttempt(d, t.proven ? Proven() : Failed(), t.at_ms, config, 0.5);
  EXPECT_EQ(d.state(), t.after) << t.name << ": " << StateName(d.state());
  EXPECT_EQ(GrantsActive(d), t.grants_after) << t.name;
  EXPECT_GT(d.next_attempt_unix_ms(), t.at_ms) << t.name;
  ASSERT_GE(d.attempts_size(), 1);
  EXPECT_EQ(d.attempts(0).at_unix_ms(), t.at_ms) << "newest first";
}

INSTANTIATE_TEST_SUITE_P(
    Table, LifecycleTransitionTest,
    testing::Values(
        Transition{"pending_proven", 0, false, 5000, true,
                   corsd::v1::DOMAIN_STATE_VERIFIED, true},
        Transition{"pending_failed", 0, false, 5000, false,
                   corsd::v1::DOMAIN_STATE_FAILING, false},
        Transition{"never_verified_never_suspended", 3, false, 1000 * kHour,
                   false, corsd::v1::DOMAIN_STATE_FAILING, false},
        Transition{"failing_proven", 2, false, 9000, true,
                   corsd::v1::DOMAIN_STATE_VERIFIED, true},
        Transition{"verified_recheck_failed_keeps_grants", 0, true, 25 * kHour,
                   false, corsd::v1::DOMAIN_STATE_FAILING, true},
        Transition{"within_grace_still_failing", 1, true, 2000 + 72 * kHour - 1,
                   false, corsd::v1::DOMAIN_STATE_FAILING, true},
        Transition{"past_grace_suspended", 1, true, 2000 + 72 * kHour, false,
                   corsd::v1::DOMAIN_STATE_SUSPENDED, false},
        Transition{"failing_after_verified_proven_again", 3, true, 10 * kHour,
                   true, corsd::v1::DOMAIN_STATE_VERIFIED, true}),
    [](const testing::TestParamInfo<Transition>& info) {
      return info.param.name;
    });

TEST(LifecycleTest, SuspendedProvenAgainIsVerifiedWithGrants) {
  const LifecycleConfig config = Config();
  CustomDomain d = AfterAttempt(Pending(), Proven(), 1000, config, 0.5);
  d = AfterAttempt(d, Failed(), 2000, config, 0.5);
  d = AfterAttempt(d, Failed(), 2000 + 73 * kHour, config, 0.5);
  ASSERT_EQ(d.state(), corsd::v1::DOMAIN_STATE_SUSPENDED);
  d = AfterAttempt(d, Failed(), 3000 + 74 * kHour, config, 0.5);
  EXPECT_EQ(d.state(), corsd::v1::DOMAIN_STATE_SUSPENDED);
  d = AfterAttempt(d, Proven(), 4000 + 75 * kHour, config, 0.5);
  EXPECT_EQ(d.state(), corsd::v1::DOMAIN_STATE_VERIFIED);
  EXPECT_TRUE(GrantsActive(d));
  EXPECT_EQ(d.consecutive_failures(), 0u);
  EXPECT_EQ(d.failing_since_unix_ms(), 0);
}

TEST(LifecycleTest, BackoffDoublesToTheCapWithJitter) {
  LifecycleConfig config = Config();
  config.jitter = 0;
  CustomDomain d = Pending();
  int64_t now = 0;
  const int64_t expected[] = {30, 60, 120, 240, 480, 960, 1920, 3600, 3600};
  for (int64_t seconds : expected) {
    d = AfterAttempt(d, Failed(), now, config, 0.0);
    EXPECT_EQ(d.next_attempt_unix_ms() - now, seconds * 1000);
    now = d.next_attempt_unix_ms();
  }
  // Jitter: factor 1 +- 0.1 at the extremes of the draw.
  config.jitter = 0.1;
  CustomDomain low = AfterAttempt(Pending(), Failed(), 0, config, 0.0);
  CustomDomain high = AfterAttempt(Pending(), Failed(), 0, config, 0.999999);
  EXPECT_EQ(low.next_attempt_unix_ms(), 27000);
  EXPECT_NEAR(high.next_attempt_unix_ms(), 33000, 1);
}

TEST(LifecycleTest, VerifiedIsRecheckedAfterTheInterval) {
  LifecycleConfig config = Config();
  config.jitter = 0;
  const CustomDomain d = AfterAttempt(Pending(), Proven(), 5000, config, 0.5);
  EXPECT_EQ(d.next_attempt_unix_ms(), 5000 + 24 * kHour);
  EXPECT_EQ(d.verified_unix_ms(), 5000);
}

TEST(LifecycleTest, RetriesNeverWaitPastTheGrace) {
  LifecycleConfig config = Config();
  config.jitter = 0;
  config.grace = absl::Seconds(45);
  CustomDomain d = AfterAttempt(Pending(), Proven(), 500, config, 0.5);
  d = AfterAttempt(d, Failed(), 1000, config, 0.5);   // retry in 30 s
  d = AfterAttempt(d, Failed(), 31000, config, 0.5);  // 60 s > 15 s left
  EXPECT_EQ(d.next_attempt_unix_ms(), 46000);
  d = AfterAttempt(d, Failed(), 46000, config, 0.5);
  EXPECT_EQ(d.state(), corsd::v1::DOMAIN_STATE_SUSPENDED);
}

TEST(LifecycleTest, AttemptsAreBoundedAndKeepTheReason) {
  const LifecycleConfig config = Config();
  CustomDomain d = Pending();
  ProofResult many = Failed();
  for (int i = 0; i < 20; ++i) many.seen.push_back(std::string(500, 'x'));
  for (int i = 0; i < 9; ++i) d = AfterAttempt(d, many, i, config, 0.5);
  EXPECT_EQ(d.attempts_size(), 5);
  EXPECT_EQ(d.attempts(0).at_unix_ms(), 8);
  EXPECT_EQ(d.attempts(0).reason(), "TXT has 1 value");
  EXPECT_EQ(d.attempts(0).outcome(),
            corsd::v1::DomainAttempt::OUTCOME_WRONG_VALUE);
  EXPECT_EQ(d.attempts(0).seen_size(), static_cast<int>(kMaxSeenValues));
  EXPECT_LE(d.attempts(0).seen(0).size(), kMaxSeenValueBytes);
}

TEST(LifecycleTest, OperatorDomainsAreVerifiedAndNeverAttempted) {
  const CustomDomain d = NewDomain("t", "api.example.com",
                                   corsd::v1::DOMAIN_METHOD_OPERATOR, "", 7);
  EXPECT_EQ(d.state(), corsd::v1::DOMAIN_STATE_VERIFIED);
  EXPECT_EQ(d.next_attempt_unix_ms(), 0);
  EXPECT_TRUE(AskApproves(d));
  const CustomDomain after = AfterAttempt(d, Failed(), 100, Config(), 0.5);
  EXPECT_EQ(after.state(), corsd::v1::DOMAIN_STATE_VERIFIED);
  EXPECT_EQ(after.attempts_size(), 0);
}

TEST(LifecycleTest, TokensAreDistinctAndUrlSafe) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string token = NewToken();
    ASSERT_EQ(token.size(), 26u);
    for (char c : token) {
      EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7')) << token;
    }
    EXPECT_TRUE(seen.insert(token).second);
  }
}

TEST(LifecycleTest, InstructionsNameTheRecordAndValue) {
  LifecycleConfig config = Config();
  CustomDomain d = Pending();
  d.set_token("abc");
  auto dns = Instructions(d, config, 80);
  ASSERT_FALSE(dns.empty());
  EXPECT_EQ(dns[0],
            "Create a TXT record _corsd-challenge.shop.example.com with the "
            "value abc");
  d.set_method(corsd::v1::DOMAIN_METHOD_HTTP);
  auto http = Instructions(d, config, 8080);
  EXPECT_NE(http[0].find(
                "http://shop.example.com:8080/.well-known/corsd-challenge/abc"),
            std::string::npos);
  d.set_host("*.shop.example.com");
  EXPECT_EQ(ChallengeDnsName("_x", d.host()), "_x.shop.example.com");
}

TEST(LifecycleTest, OutcomeNumbersMirrorTheProto) {
  EXPECT_EQ(OutcomeProto(ProofOutcome::kProven),
            corsd::v1::DomainAttempt::OUTCOME_PROVEN);
  EXPECT_EQ(OutcomeProto(ProofOutcome::kBadResponse),
            corsd::v1::DomainAttempt::OUTCOME_BAD_RESPONSE);
  EXPECT_EQ(OutcomeProto(ProofOutcome::kPrivateTarget),
            corsd::v1::DomainAttempt::OUTCOME_PRIVATE_TARGET);
  EXPECT_EQ(OutcomeName(corsd::v1::DomainAttempt::OUTCOME_NXDOMAIN),
            "NXDOMAIN");
}

TEST(LifecycleTest, ConfigValidationNamesTheFlag) {
  LifecycleConfig c = Config();
  c.recheck = absl::ZeroDuration();
  EXPECT_NE(ValidateLifecycleConfig(c).message().find("--domain-recheck"),
            std::string::npos);
  c = Config();
  c.grace = -absl::Seconds(1);
  EXPECT_NE(ValidateLifecycleConfig(c).message().find("--domain-grace"),
            std::string::npos);
  c = Config();
  c.challenge_prefix = "a.b";
  EXPECT_NE(
      ValidateLifecycleConfig(c).message().find("--domain-challenge-prefix"),
      std::string::npos);
  EXPECT_TRUE(ValidateLifecycleConfig(Config()).ok());
}

}  // namespace
}  // namespace corsd::domain
