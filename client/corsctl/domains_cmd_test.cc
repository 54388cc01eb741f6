#include "client/corsctl/domains_cmd.h"

#include <deque>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace corsd::corsctl {
namespace {

using corsd::v1::CustomDomain;
using corsd::v1::DomainAttempt;
using corsd::v1::DomainInfo;

constexpr int64_t kT0 = 1796637600000;  // 2026-12-07T10:00:00Z

DomainAttempt Attempt(int64_t at, DomainAttempt::Outcome outcome,
                      const std::string& reason,
                      std::vector<std::string> seen = {}) {
  DomainAttempt a;
  a.set_at_unix_ms(at);
  a.set_method(corsd::v1::DOMAIN_METHOD_DNS);
  a.set_outcome(outcome);
  a.set_reason(reason);
  for (std::string& s : seen) a.add_seen(std::move(s));
  return a;
}

CustomDomain Pending() {
  CustomDomain d;
  d.set_tenant("acme");
  d.set_host("shop.customer.com");
  d.set_method(corsd::v1::DOMAIN_METHOD_DNS);
  d.set_token("abc234");
  d.set_state(corsd::v1::DOMAIN_STATE_PENDING);
  d.set_created_unix_ms(kT0);
  d.set_state_since_unix_ms(kT0);
  d.set_next_attempt_unix_ms(kT0);
  return d;
}

// Pending() after `failures` failed attempts, the last at kT0 + 5 s.
CustomDomain Failing(uint32_t failures) {
  CustomDomain d = Pending();
  d.set_state(corsd::v1::DOMAIN_STATE_FAILING);
  d.set_state_since_unix_ms(kT0 + 5000);
  d.set_consecutive_failures(failures);
  d.set_failing_since_unix_ms(kT0 + 5000);
  d.set_next_attempt_unix_ms(kT0 + 35000);
  *d.add_attempts() =
      Attempt(kT0 + 5000, DomainAttempt::OUTCOME_NXDOMAIN,
              "_corsd-challenge.shop.customer.com does not exist");
  return d;
}

CustomDomain Verified() {
  CustomDomain d = Pending();
  d.set_state(corsd::v1::DOMAIN_STATE_VERIFIED);
  d.set_state_since_unix_ms(kT0 + 65000);
  d.set_verified_unix_ms(kT0 + 65000);
  d.set_next_attempt_unix_ms(kT0 + 86400000);
  d.set_granted_api_host(true);
  d.set_granted_origin(true);
  *d.add_attempts() =
      Attempt(kT0 + 65000, DomainAttempt::OUTCOME_PROVEN,
              "TXT _corsd-challenge.shop.customer.com holds the token");
  return d;
}

DomainInfo Info(const CustomDomain& d, uint64_t revision = 0) {
  DomainInfo info;
  *info.mutable_domain() = d;
  info.set_revision(revision);
  info.add_instructions(
      "Create a TXT record _corsd-challenge.shop.customer.com with the value "
      "abc234");
  info.add_instructions("Keep it in place.");
  return info;
}

TEST(DomainsTextTest, FormatUnixMsAndPrintable) {
  EXPECT_EQ(FormatUnixMs(0, "never"), "never");
  EXPECT_EQ(FormatUnixMs(kT0, "-"), "2026-12-07T10:00:00Z");
  EXPECT_EQ(FormatUnixMs(kT0 + 65999, "-"), "2026-12-07T10:01:05Z");
  EXPECT_EQ(Printable("plain b\xC3\xBC"), "plain b\xC3\xBC");
  EXPECT_EQ(Printable("a\nb\x1b[31m\x7f"), "a\\x0ab\\x1b[31m\\x7f");
}

TEST(DomainsTextTest, ParseMethodAndState) {
  struct Case {
    std::string input;
    bool ok;
    int value;
  };
  const Case methods[] = {{"dns", true, corsd::v1::DOMAIN_METHOD_DNS},
                          {"HTTP", true, corsd::v1::DOMAIN_METHOD_HTTP},
                          {"operator", true, corsd::v1::DOMAIN_METHOD_OPERATOR},
                          {"txt", false, 0},
                          {"", false, 0}};
  for (const Case& c : methods) {
    auto m = ParseDomainMethod(c.input);
    ASSERT_EQ(m.ok(), c.ok) << c.input;
    if (c.ok) {
      EXPECT_EQ(*m, c.value) << c.input;
    } else {
      EXPECT_EQ(m.status().message(),
                "method \"" + c.input + "\" is not one of dns, http, operator");
    }
  }
  const Case states[] = {{"pending", true, corsd::v1::DOMAIN_STATE_PENDING},
                         {"Verified", true, corsd::v1::DOMAIN_STATE_VERIFIED},
                         {"failing", true, corsd::v1::DOMAIN_STATE_FAILING},
                         {"suspended", true, corsd::v1::DOMAIN_STATE_SUSPENDED},
                         {"removed", true, corsd::v1::DOMAIN_STATE_REMOVED},
                         {"unspecified", false, 0},
                         {"ok", false, 0}};
  for (const Case& c : states) {
    auto s = ParseDomainState(c.input);
    ASSERT_EQ(s.ok(), c.ok) << c.input;
    if (c.ok) {
      EXPECT_EQ(*s, c.value) << c.input;
    } else {
      EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
}

TEST(DomainsTextTest, Rows) {
  CustomDomain op = Pending();
  op.set_method(corsd::v1::DOMAIN_METHOD_OPERATOR);
  op.set_state(corsd::v1::DOMAIN_STATE_VERIFIED);
  op.set_next_attempt_unix_ms(0);
  struct Case {
    CustomDomain domain;
    std::vector<std::string> row;
  };
  const Case cases[] = {
      {Pending(),
       {"shop.customer.com", "acme", "dns", "pending", "2026-12-07T10:00:00Z",
        "-", "2026-12-07T10:00:00Z"}},
      {Failing(1),
       {"shop.customer.com", "acme", "dns", "failing", "2026-12-07T10:00:05Z",
        "NXDOMAIN", "2026-12-07T10:00:35Z"}},
      {Verified(),
       {"shop.customer.com", "acme", "dns", "verified", "2026-12-07T10:01:05Z",
        "PROVEN", "2026-12-08T10:00:00Z"}},
      {op,
       {"shop.customer.com", "acme", "operator", "verified",
        "2026-12-07T10:00:00Z", "-", "-"}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(DomainRow(c.domain), c.row) << c.domain.ShortDebugString();
    EXPECT_EQ(c.row.size(), kDomainColumns.size());
  }
}

TEST(DomainsTextTest, Table) {
  CustomDomain other = Failing(2);
  other.set_tenant("globex");
  other.set_host("a.example.org");
  EXPECT_EQ(DomainTable({Pending(), other}),
            "HOST               TENANT  METHOD  STATE    SINCE                 "
            "LAST ATTEMPT  NEXT\n"
            "shop.customer.com  acme    dns     pending  2026-12-07T10:00:00Z  "
            "-             2026-12-07T10:00:00Z\n"
            "a.example.org      globex  dns     failing  2026-12-07T10:00:05Z  "
            "NXDOMAIN      2026-12-07T10:00:35Z\n"
            "2 domain(s)\n");
  EXPECT_EQ(DomainTable({}),
            "HOST  TENANT  METHOD  STATE  SINCE  LAST ATTEMPT  NEXT\n"
            "0 domain(s)\n");
}

TEST(DomainsTextTest, DescribeEveryField) {
  CustomDomain d = Failing(2);
  d.set_verified_unix_ms(kT0 - 86400000);
  d.set_granted_api_host(true);
  d.set_note("re-issued\n");
  *d.add_attempts() =
      Attempt(kT0 + 2000, DomainAttempt::OUTCOME_WRONG_VALUE,
              "TXT has 2 values, none is the token", {"old", "x\x1b"});
  EXPECT_EQ(DescribeDomain(Info(d)),
            "domain shop.customer.com\n"
            "  tenant: acme\n"
            "  method: dns\n"
            "  state: failing (since 2026-12-07T10:00:05Z)\n"
            "  created: 2026-12-07T10:00:00Z\n"
            "  verified at: 2026-12-06T10:00:00Z\n"
            "  next attempt: 2026-12-07T10:00:35Z\n"
            "  consecutive failures: 2 (failing since 2026-12-07T10:00:05Z)\n"
            "  granted: api host shop.customer.com\n"
            "  token: abc234\n"
            "  note: re-issued\\x0a\n"
            "attempts (newest first):\n"
            "  2026-12-07T10:00:05Z  dns  NXDOMAIN: "
            "_corsd-challenge.shop.customer.com does not exist\n"
            "  2026-12-07T10:00:02Z  dns  WRONG_VALUE: TXT has 2 values, none "
            "is the token\n"
            "    seen: \"old\", \"x\\u001b\"\n"
            "instructions:\n"
            "  Create a TXT record _corsd-challenge.shop.customer.com with "
            "the value abc234\n"
            "  Keep it in place.\n");

  CustomDomain wildcard = Pending();
  wildcard.set_host("*.customer.com");
  wildcard.set_next_attempt_unix_ms(0);
  wildcard.set_granted_origin(true);
  DomainInfo bare;
  *bare.mutable_domain() = wildcard;
  const std::string text = DescribeDomain(bare);
  EXPECT_NE(text.find("  verified at: never\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  next attempt: none planned\n"), std::string::npos);
  EXPECT_NE(text.find("  consecutive failures: 0\n"), std::string::npos);
  EXPECT_NE(text.find("  granted: wildcard https://*.customer.com\n"),
            std::string::npos);
  EXPECT_NE(text.find("attempts (newest first):\n  (none)\ninstructions:\n"
                      "  (none)\n"),
            std::string::npos);
  EXPECT_EQ(text.find("note:"), std::string::npos);
}

TEST(DomainsTextTest, AddText) {
  const std::string instructions =
      "To prove control of shop.customer.com:\n"
      "  Create a TXT record _corsd-challenge.shop.customer.com with the "
      "value abc234\n"
      "  Keep it in place.\n";
  CustomDomain op = Verified();
  op.set_method(corsd::v1::DOMAIN_METHOD_OPERATOR);
  struct Case {
    std::string name;
    DomainInfo info;
    corsd::v1::DomainMethod requested;
    bool dry_run;
    std::string text;
  };
  const Case cases[] = {
      {"added", Info(Pending(), 12), corsd::v1::DOMAIN_METHOD_DNS, false,
       "domain shop.customer.com added to tenant acme (method dns, revision "
       "12)\nstate: pending\n" +
           instructions},
      {"dry run", Info(Pending(), 0), corsd::v1::DOMAIN_METHOD_DNS, true,
       "domain shop.customer.com for tenant acme is valid (dry run, nothing "
       "written)\nstate: pending\n" +
           instructions},
      {"unchanged, other method", Info(Failing(1), 0),
       corsd::v1::DOMAIN_METHOD_HTTP, false,
       "domain shop.customer.com of tenant acme was already added "
       "(unchanged; method dns)\n"
       "note: it keeps method dns, not http; remove it first to change the "
       "method\nstate: failing\n" +
           instructions},
      {"operator", Info(op, 3), corsd::v1::DOMAIN_METHOD_OPERATOR, false,
       "domain shop.customer.com added to tenant acme (method operator, "
       "revision 3)\nstate: verified\n"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(AddText(c.info, c.requested, c.dry_run), c.text) << c.name;
  }
}

TEST(DomainsTextTest, VerifyText) {
  EXPECT_EQ(VerifyText(Info(Verified())),
            "shop.customer.com (tenant acme): verified\n"
            "  attempt 2026-12-07T10:01:05Z  dns  PROVEN: TXT "
            "_corsd-challenge.shop.customer.com holds the token\n");
  CustomDomain wrong = Failing(3);
  *wrong.mutable_attempts(0) =
      Attempt(kT0 + 5000, DomainAttempt::OUTCOME_WRONG_VALUE,
              "TXT has 1 value, not the token", {"stale"});
  EXPECT_EQ(VerifyText(Info(wrong)),
            "shop.customer.com (tenant acme): failing\n"
            "  attempt 2026-12-07T10:00:05Z  dns  WRONG_VALUE: TXT has 1 "
            "value, not the token\n"
            "    seen: \"stale\"\n"
            "  next attempt: 2026-12-07T10:00:35Z\n"
            "To prove control of shop.customer.com:\n"
            "  Create a TXT record _corsd-challenge.shop.customer.com with "
            "the value abc234\n"
            "  Keep it in place.\n");
}

TEST(DomainsTextTest, ProgressLines) {
  CustomDomain escaped = Failing(2);
  escaped.mutable_attempts(0)->set_reason("bad\r\nline");
  CustomDomain suspended = Failing(4);
  suspended.set_state(corsd::v1::DOMAIN_STATE_SUSPENDED);
  struct Case {
    CustomDomain domain;
    std::string line;
  };
  CustomDomain op = Pending();
  op.set_method(corsd::v1::DOMAIN_METHOD_OPERATOR);
  op.set_state(corsd::v1::DOMAIN_STATE_VERIFIED);
  const Case cases[] = {
      {Pending(),
       "[2026-12-07T10:00:00Z] pending: no attempt yet; next attempt "
       "2026-12-07T10:00:00Z"},
      {op,
       "[2026-12-07T10:00:00Z] verified: vouched for by the operator (no "
       "proof)"},
      {Failing(2),
       "[2026-12-07T10:00:05Z] failing: attempt 2: NXDOMAIN: "
       "_corsd-challenge.shop.customer.com does not exist; next attempt "
       "2026-12-07T10:00:35Z"},
      {Verified(),
       "[2026-12-07T10:01:05Z] verified: PROVEN: TXT "
       "_corsd-challenge.shop.customer.com holds the token"},
      {escaped,
       "[2026-12-07T10:00:05Z] failing: attempt 2: NXDOMAIN: "
       "bad\\x0d\\x0aline; next attempt 2026-12-07T10:00:35Z"},
      {suspended,
       "[2026-12-07T10:00:05Z] suspended: attempt 4: NXDOMAIN: "
       "_corsd-challenge.shop.customer.com does not exist; next attempt "
       "2026-12-07T10:00:35Z"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ProgressLine(c.domain), c.line);
  }
}

// Answers from a script on a fake clock; sleeping advances it.
class FakeServer {
 public:
  std::deque<absl::StatusOr<DomainInfo>> answers;
  std::vector<std::string> calls;  // "get@<seconds>", "verify@<seconds>"
  absl::Time now = absl::FromUnixMillis(kT0);

  WaitCalls Calls() {
    WaitCalls c;
    c.get = [this] { return Next("get"); };
    c.verify = [this] { return Next("verify"); };
    c.now = [this] { return now; };
    c.sleep = [this](absl::Duration d) { now += d; };
    return c;
  }

 private:
  absl::StatusOr<DomainInfo> Next(const std::string& what) {
    calls.push_back(absl::StrCat(
        what, "@", absl::ToInt64Seconds(now - absl::FromUnixMillis(kT0))));
    if (answers.empty()) return Info(Pending());
    absl::StatusOr<DomainInfo> next = answers.front();
    answers.pop_front();
    return next;
  }
};

TEST(WaitForVerifiedTest, PrintsChangesAndSurvivesAnUnreachableServer) {
  FakeServer server;
  server.answers = {Info(Pending()),
                    Info(Failing(1)),
                    absl::UnavailableError("Admin.GetDomain at x: refused"),
                    Info(Failing(1)),
                    Info(Failing(1)),
                    Info(Verified())};
  std::vector<std::string> lines;
  auto result = WaitForVerified(
      Info(Pending()), WaitOptions(), server.Calls(),
      [&](absl::string_view line) { lines.emplace_back(line); });
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->end, WaitResult::End::kVerified);
  EXPECT_EQ(result->info.domain().state(), corsd::v1::DOMAIN_STATE_VERIFIED);
  EXPECT_EQ(lines, (std::vector<std::string>{
                       ProgressLine(Pending()), ProgressLine(Failing(1)),
                       "[2026-12-07T10:00:06Z] Admin.GetDomain at x: refused; "
                       "still waiting",
                       ProgressLine(Failing(1)), ProgressLine(Verified())}));
  EXPECT_EQ(server.calls,
            (std::vector<std::string>{"get@2", "get@4", "get@6", "get@8",
                                      "get@10", "get@12"}));
}

TEST(WaitForVerifiedTest, TimesOutWithTheLastAnswer) {
  FakeServer server;
  server.answers = {Info(Failing(1)), Info(Failing(2))};
  WaitOptions options;
  options.timeout = absl::Seconds(5);
  std::vector<std::string> lines;
  auto result = WaitForVerified(
      Info(Pending()), options, server.Calls(),
      [&](absl::string_view line) { lines.emplace_back(line); });
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->end, WaitResult::End::kTimedOut);
  EXPECT_EQ(result->info.domain().state(), corsd::v1::DOMAIN_STATE_PENDING);
  EXPECT_TRUE(result->last_error.empty());
  // The last sleep is cut to the deadline.
  EXPECT_EQ(server.calls,
            (std::vector<std::string>{"get@2", "get@4", "get@5"}));
  EXPECT_EQ(lines.size(), 4u);
  EXPECT_EQ(server.now, absl::FromUnixMillis(kT0) + absl::Seconds(5));
}

TEST(WaitForVerifiedTest, VerifiesEveryGivenInterval) {
  FakeServer server;
  WaitOptions options;
  options.timeout = absl::Seconds(12);
  options.poll_every = absl::Seconds(2);
  options.verify_every = absl::Seconds(5);
  auto result = WaitForVerified(Info(Pending()), options, server.Calls(),
                                [](absl::string_view) {});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->end, WaitResult::End::kTimedOut);
  EXPECT_EQ(server.calls,
            (std::vector<std::string>{"get@2", "get@4", "verify@6", "get@8",
                                      "get@10", "verify@12"}));
}

TEST(WaitForVerifiedTest, EndsOnRemovalOrAPermanentError) {
  FakeServer removed;
  CustomDomain taken = Failing(1);
  taken.set_state(corsd::v1::DOMAIN_STATE_REMOVED);
  removed.answers = {Info(taken)};
  auto result = WaitForVerified(Info(Pending()), WaitOptions(), removed.Calls(),
                                [](absl::string_view) {});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->end, WaitResult::End::kRemoved);

  FakeServer gone;
  gone.answers = {absl::NotFoundError("no custom domain")};
  result = WaitForVerified(Info(Pending()), WaitOptions(), gone.Calls(),
                           [](absl::string_view) {});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);

  FakeServer unreachable;
  for (int i = 0; i < 10; ++i) {
    unreachable.answers.push_back(absl::DeadlineExceededError("slow"));
  }
  WaitOptions options;
  options.timeout = absl::Seconds(4);
  result = WaitForVerified(Info(Pending()), options, unreachable.Calls(),
                           [](absl::string_view) {});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->end, WaitResult::End::kTimedOut);
  EXPECT_EQ(result->last_error, "slow");
}

TEST(WaitForVerifiedTest, AlreadyVerifiedMakesNoCall) {
  FakeServer server;
  std::vector<std::string> lines;
  auto result = WaitForVerified(
      Info(Verified()), WaitOptions(), server.Calls(),
      [&](absl::string_view line) { lines.emplace_back(line); });
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->end, WaitResult::End::kVerified);
  EXPECT_TRUE(server.calls.empty());
  EXPECT_EQ(lines, std::vector<std::string>{ProgressLine(Verified())});
}

}  // namespace
}  // namespace corsd::corsctl
