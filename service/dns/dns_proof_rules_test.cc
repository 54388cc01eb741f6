// ProveDns's judgement and texts over a fake resolver (the same against a
// real DNS server: dns_proof_test.cc).
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/dns/dns_proof.h"
#include "service/dns/resolver.h"
#include "service/domain/proof.h"

namespace corsd::dns {
namespace {

using domain::ProofOutcome;
using domain::ProofResult;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kName[] = "_corsd-challenge.shop.example.com";
constexpr char kToken[] = "corsd-7Hq2Zx9KpL4mW8vR";

// Answers every TXT question with `answer`, remembering the names asked.
class FakeResolver : public Resolver {
 public:
  explicit FakeResolver(TxtAnswer answer) : answer_(std::move(answer)) {}
  TxtAnswer LookupTxt(absl::string_view name) override {
    asked_.emplace_back(name);
    return answer_;
  }
  AddressAnswer LookupAddresses(absl::string_view host) override {
    ADD_FAILURE() << "ProveDns asked for addresses of " << host;
    return AddressAnswer{};
  }
  const std::vector<std::string>& asked() const { return asked_; }

 private:
  TxtAnswer answer_;
  std::vector<std::string> asked_;
};

TxtAnswer Values(std::vector<std::string> values) {
  TxtAnswer answer;
  answer.values = std::move(values);
  return answer;
}

TxtAnswer Error(DnsError error, std::string detail) {
  TxtAnswer answer;
  answer.error = error;
  answer.detail = std::move(detail);
  return answer;
}

struct Case {
  std::string label;
  TxtAnswer answer;
  ProofOutcome outcome;
  std::string reason;  // exact
};

class ProveDnsTest : public ::testing::TestWithParam<Case> {};

TEST_P(ProveDnsTest, OutcomeAndReason) {
  FakeResolver resolver(GetParam().answer);
  const ProofResult result = ProveDns(resolver, kName, kToken);
  EXPECT_THAT(resolver.asked(), ElementsAre(kName));
  EXPECT_EQ(result.outcome, GetParam().outcome);
  EXPECT_EQ(result.reason, GetParam().reason);
}

TEST_P(ProveDnsTest, NeitherReasonNorSeenContainsTheToken) {
  FakeResolver resolver(GetParam().answer);
  const ProofResult result = ProveDns(resolver, kName, kToken);
  EXPECT_THAT(result.reason, Not(HasSubstr(kToken)));
  for (const std::string& seen : result.seen) {
    EXPECT_THAT(seen, Not(HasSubstr(kToken)));
  }
}

const std::string kHas = absl::StrCat("TXT ", kName, " ");
const std::string kProvenReason =
    absl::StrCat("TXT ", kName, " holds this domain's token");

INSTANTIATE_TEST_SUITE_P(
    Cases, ProveDnsTest,
    ::testing::Values(
        Case{"token", Values({kToken}), ProofOutcome::kProven, kProvenReason},
        Case{"token_among_others", Values({"v=spf1 -all", kToken, "x"}),
             ProofOutcome::kProven, kProvenReason},
        Case{"spaces_trimmed", Values({absl::StrCat("  ", kToken, " ")}),
             ProofOutcome::kProven, kProvenReason},
        Case{"tab_not_trimmed", Values({absl::StrCat("\t", kToken)}),
             ProofOutcome::kWrongValue,
             kHas + "has 1 value, none is this domain's token (seen: "
                    "\"\\x09<token>\")"},
        Case{"other_case", Values({"CORSD-7HQ2ZX9KPL4MW8VR"}),
             ProofOutcome::kWrongValue,
             kHas + "has 1 value, none is this domain's token (seen: "
                    "\"CORSD-7HQ2ZX9KPL4MW8VR\")"},
        Case{"token_inside_a_value",
             Values({absl::StrCat("corsd-verification=", kToken)}),
             ProofOutcome::kWrongValue,
             kHas + "has 1 value, none is this domain's token (seen: "
                    "\"corsd-verification=<token>\")"},
        Case{"token_prefix", Values({"corsd-7Hq2Zx9KpL4m"}),
             ProofOutcome::kWrongValue,
             kHas + "has 1 value, none is this domain's token (seen: "
                    "\"corsd-7Hq2Zx9KpL4m\")"},
        Case{"two_other_values", Values({"a", "b"}), ProofOutcome::kWrongValue,
             kHas + "has 2 values, none is this domain's token (seen: "
                    "\"a\", \"b\")"},
        Case{"escaped", Values({"q\"b\\s\n\xc3\xa9"}),
             ProofOutcome::kWrongValue,
             kHas + "has 1 value, none is this domain's token (seen: "
                    "\"q\\\"b\\\\s\\x0a\\xc3\\xa9\")"},
        Case{"empty_value", Values({""}), ProofOutcome::kWrongValue,
             kHas + "has 1 value, none is this domain's token (seen: \"\")"},
        Case{"no_values", Values({}), ProofOutcome::kNoRecord,
             absl::StrCat("TXT ", kName,
                          ": the name exists but has no TXT record")},
        Case{"nxdomain", Error(DnsError::kNxDomain, ""),
             ProofOutcome::kNxDomain,
             absl::StrCat("TXT ", kName,
                          ": the name does not exist (NXDOMAIN)")},
        Case{"timeout",
             Error(DnsError::kTimeout, "no answer from 127.0.0.1:53 within 5s"),
             ProofOutcome::kTimeout,
             absl::StrCat("TXT ", kName,
                          ": no answer in time (no answer from 127.0.0.1:53 "
                          "within 5s)")},
        Case{"failure",
             Error(DnsError::kFailure, "Query refused (asking 10.0.0.1:53)"),
             ProofOutcome::kResolverError,
             absl::StrCat("TXT ", kName,
                          ": the resolver failed (Query refused (asking "
                          "10.0.0.1:53))")}),
    [](const ::testing::TestParamInfo<Case>& info) {
      return info.param.label;
    });

TEST(ProveDnsSeenTest, WrongValueKeepsTheValuesAsSeen) {
  FakeResolver resolver(Values({"a", "google-site-verification=xyz"}));
  const ProofResult result = ProveDns(resolver, kName, kToken);
  EXPECT_EQ(result.outcome, ProofOutcome::kWrongValue);
  EXPECT_THAT(result.seen, ElementsAre("a", "google-site-verification=xyz"));
}

TEST(ProveDnsSeenTest, OtherOutcomesSeeNothing) {
  for (const TxtAnswer& answer :
       {Values({kToken, "other"}), Values({}), Error(DnsError::kNxDomain, ""),
        Error(DnsError::kTimeout, "t"), Error(DnsError::kFailure, "f")}) {
    FakeResolver resolver(answer);
    EXPECT_THAT(ProveDns(resolver, kName, kToken).seen, IsEmpty());
  }
}

TEST(ProveDnsSeenTest, AtMostMaxSeenValuesAndTheRestCounted) {
  std::vector<std::string> values;
  for (int i = 0; i < 11; ++i) values.push_back(absl::StrCat("v", i));
  FakeResolver resolver(Values(values));
  const ProofResult result = ProveDns(resolver, kName, kToken);
  ASSERT_EQ(result.seen.size(), domain::kMaxSeenValues);
  EXPECT_EQ(result.seen.back(), "v7");
  EXPECT_EQ(result.reason,
            kHas +
                "has 11 values, none is this domain's token (seen: \"v0\", "
                "\"v1\", \"v2\", \"v3\", \"v4\", \"v5\", \"v6\", \"v7\", "
                "and 3 more)");
}

TEST(ProveDnsSeenTest, LongValuesAreCutWithDots) {
  const std::string at_limit(domain::kMaxSeenValueBytes, 'a');
  const std::string over(domain::kMaxSeenValueBytes + 1, 'b');
  // Escapes are never split: 42 escapes of 4 bytes (168) are cut to 31.
  const std::string escapes(42, '\x01');
  FakeResolver resolver(Values({at_limit, over, escapes}));
  const ProofResult result = ProveDns(resolver, kName, kToken);
  ASSERT_EQ(result.seen.size(), 3u);
  EXPECT_EQ(result.seen[0], at_limit);
  EXPECT_EQ(result.seen[1],
            std::string(domain::kMaxSeenValueBytes - 3, 'b') + "...");
  std::string cut;
  for (int i = 0; i < 31; ++i) cut += "\\x01";
  EXPECT_EQ(result.seen[2], cut + "...");
  for (const std::string& seen : result.seen) {
    EXPECT_LE(seen.size(), domain::kMaxSeenValueBytes);
  }
}

TEST(ProveDnsSeenTest, EmptyTokenProvesNothing) {
  FakeResolver resolver(Values({"", "  "}));
  const ProofResult result = ProveDns(resolver, kName, "");
  EXPECT_EQ(result.outcome, ProofOutcome::kWrongValue);
  EXPECT_THAT(result.seen, ElementsAre("", "  "));
}

struct NameCase {
  std::string prefix;
  std::string host;
  std::string want;
};

class ChallengeNameTest : public ::testing::TestWithParam<NameCase> {};

TEST_P(ChallengeNameTest, PrefixDotHostWildcardsUseTheParent) {
  EXPECT_EQ(ChallengeName(GetParam().prefix, GetParam().host), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ChallengeNameTest,
    ::testing::Values(NameCase{"_corsd-challenge", "shop.example.com",
                               "_corsd-challenge.shop.example.com"},
                      NameCase{"_corsd-challenge", "*.shop.example.com",
                               "_corsd-challenge.shop.example.com"},
                      NameCase{"_corsd-challenge", "example.com",
                               "_corsd-challenge.example.com"},
                      NameCase{"_x", "xn--bcher-kva.example",
                               "_x.xn--bcher-kva.example"}));

}  // namespace
}  // namespace corsd::dns
