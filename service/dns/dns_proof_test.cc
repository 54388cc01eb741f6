// ProveDns over CaresResolver against a real DNS server (dnsmasq,
// testing/dns_server.h): the whole DNS proof as corsd runs it. Fails,
// never skips, when dnsmasq is not installed.
#include "service/dns/dns_proof.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/dns/cares_resolver.h"
#include "service/dns/testing/dns_server.h"
#include "service/domain/proof.h"

namespace corsd::dns {
namespace {

using domain::ProofOutcome;
using domain::ProofResult;
using ::testing::AnyOf;
using testing::DnsRecords;
using testing::DnsServer;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

constexpr char kPrefix[] = "_corsd-challenge";
constexpr char kToken[] = "corsd-3xQ9vT7mKp2LwZ8r";

DnsRecords Zone() {
  DnsRecords records;
  records.txt = {
      {"_corsd-challenge.proven.test", {kToken}},
      {"_corsd-challenge.proven.test", {"v=spf1 -all"}},
      {"_corsd-challenge.padded.test", {absl::StrCat(" ", kToken, "  ")}},
      {"_corsd-challenge.wrong.test", {"a"}},
      {"_corsd-challenge.wrong.test", {"google-site-verification=xyz"}},
      {"_corsd-challenge.inside.test", {absl::StrCat("token=", kToken)}},
      // The token split over three character-strings of one record.
      {"_corsd-challenge.split.test", {"corsd-3xQ9", "vT7mKp2L", "wZ8r"}},
      {"_corsd-challenge.split-records.test", {"corsd-3xQ9vT7m"}},
      {"_corsd-challenge.split-records.test", {"Kp2LwZ8r"}},
      {"delegated.proofs.test", {kToken}},
      {"_corsd-challenge.shop.test", {kToken}},
  };
  records.cnames = {
      {"_corsd-challenge.cname.test", "delegated.proofs.test"},
      {"_corsd-challenge.cname-to-host.test", "aonly.test"},
  };
  records.addresses = {{"aonly.test", "127.0.0.1"},
                       {"_corsd-challenge.aonly.test", "127.0.0.1"}};
  return records;
}

class DnsProofTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    *dir_ = absl::StrCat(::testing::TempDir(), "/dns_proof_test.", getpid());
    absl::StatusOr<std::unique_ptr<DnsServer>> server = DnsServer::Start(*dir_);
    if (!server.ok()) {
      *start_error_ = server.status().ToString();
      return;
    }
    server_ = server->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    std::error_code ignored;
    std::filesystem::remove_all(*dir_, ignored);
  }

  void SetUp() override {
    ASSERT_NE(server_, nullptr)
        << "the DNS server did not start: " << *start_error_;
    ASSERT_EQ(server_->Set(Zone()), absl::OkStatus());
    CaresOptions options;
    options.server = server_->Address();
    absl::StatusOr<std::unique_ptr<CaresResolver>> resolver =
        CaresResolver::Create(options);
    ASSERT_TRUE(resolver.ok()) << resolver.status();
    resolver_ = *std::move(resolver);
  }

  ProofResult Prove(const std::string& host) {
    return ProveDns(*resolver_, ChallengeName(kPrefix, host), kToken);
  }

  static inline DnsServer* server_ = nullptr;
  static inline std::string* const start_error_ = new std::string;
  static inline std::string* const dir_ = new std::string;
  std::unique_ptr<CaresResolver> resolver_;
};

struct Case {
  std::string label;
  std::string host;
  ProofOutcome outcome;
  std::string reason;  // a part of it
};

class ProveDnsZoneTest : public DnsProofTest,
                         public ::testing::WithParamInterface<Case> {};

TEST_P(ProveDnsZoneTest, Outcome) {
  const ProofResult result = Prove(GetParam().host);
  EXPECT_EQ(result.outcome, GetParam().outcome) << result.reason;
  EXPECT_THAT(result.reason, HasSubstr(GetParam().reason));
  EXPECT_THAT(result.reason, Not(HasSubstr(kToken)));
  for (const std::string& seen : result.seen) {
    EXPECT_THAT(seen, Not(HasSubstr(kToken)));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Zone, ProveDnsZoneTest,
    ::testing::Values(
        Case{"token", "proven.test", ProofOutcome::kProven,
             "TXT _corsd-challenge.proven.test holds this domain's token"},
        Case{"spaces_trimmed", "padded.test", ProofOutcome::kProven,
             "holds this domain's token"},
        Case{"multi_string_record", "split.test", ProofOutcome::kProven,
             "holds this domain's token"},
        Case{"cname", "cname.test", ProofOutcome::kProven,
             "TXT _corsd-challenge.cname.test holds this domain's token"},
        Case{"wildcard_uses_the_parent", "*.shop.test", ProofOutcome::kProven,
             "TXT _corsd-challenge.shop.test holds"},
        Case{"other_values", "wrong.test", ProofOutcome::kWrongValue,
             "TXT _corsd-challenge.wrong.test has 2 values, none is this "
             "domain's token (seen: "},
        Case{"token_inside_a_value", "inside.test", ProofOutcome::kWrongValue,
             "(seen: \"token=<token>\")"},
        Case{"token_over_two_records", "split-records.test",
             ProofOutcome::kWrongValue, "has 2 values"},
        Case{"missing", "missing.test", ProofOutcome::kNxDomain,
             "TXT _corsd-challenge.missing.test: the name does not exist"},
        Case{"only_an_address", "aonly.test", ProofOutcome::kNoRecord,
             "TXT _corsd-challenge.aonly.test: the name exists but has no "
             "TXT record"},
        Case{"cname_to_a_name_without_txt", "cname-to-host.test",
             ProofOutcome::kNoRecord, "has no TXT record"},
        Case{"refused", "example.com", ProofOutcome::kResolverError,
             "TXT _corsd-challenge.example.com: the resolver failed ("}),
    [](const ::testing::TestParamInfo<Case>& info) {
      return info.param.label;
    });

TEST_F(DnsProofTest, WrongValueShowsTheValuesSeen) {
  const ProofResult result = Prove("wrong.test");
  EXPECT_EQ(result.outcome, ProofOutcome::kWrongValue);
  EXPECT_THAT(result.seen,
              UnorderedElementsAre("a", "google-site-verification=xyz"));
  EXPECT_THAT(result.reason, HasSubstr("\"a\""));
  EXPECT_THAT(result.reason, HasSubstr("\"google-site-verification=xyz\""));
}

TEST_F(DnsProofTest, RecordChangedBetweenCallsIsSeen) {
  EXPECT_EQ(Prove("later.test").outcome, ProofOutcome::kNxDomain);
  DnsRecords records = Zone();
  records.txt.push_back({"_corsd-challenge.later.test", {"not yet"}});
  ASSERT_EQ(server_->Set(records), absl::OkStatus());
  EXPECT_EQ(Prove("later.test").outcome, ProofOutcome::kWrongValue);
  records.txt.back().strings = {kToken};
  ASSERT_EQ(server_->Set(records), absl::OkStatus());
  EXPECT_EQ(Prove("later.test").outcome, ProofOutcome::kProven);
}

TEST_F(DnsProofTest, NothingListeningIsATimeoutOrResolverError) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)),
            0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  close(fd);  // now nothing listens there
  CaresOptions options;
  options.server = absl::StrCat("127.0.0.1:", ntohs(address.sin_port));
  options.timeout = absl::Milliseconds(300);
  absl::StatusOr<std::unique_ptr<CaresResolver>> resolver =
      CaresResolver::Create(options);
  ASSERT_TRUE(resolver.ok()) << resolver.status();
  const absl::Time start = absl::Now();
  const ProofResult result =
      ProveDns(**resolver, ChallengeName(kPrefix, "proven.test"), kToken);
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(600));
  EXPECT_THAT(result.outcome,
              AnyOf(ProofOutcome::kTimeout, ProofOutcome::kResolverError));
  EXPECT_THAT(result.reason, HasSubstr(options.server));
  EXPECT_THAT(result.seen, IsEmpty());
}

}  // namespace
}  // namespace corsd::dns
