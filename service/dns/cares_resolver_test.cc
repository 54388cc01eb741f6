// CaresResolver against a real DNS server (dnsmasq, testing/dns_server.h).
// Fails, never skips, when dnsmasq is not installed.
#include "service/dns/cares_resolver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/dns/resolver.h"
#include "service/dns/testing/dns_server.h"

namespace corsd::dns {
namespace {

using testing::AddressRecord;
using ::testing::AnyOf;
using testing::CnameRecord;
using testing::DnsRecords;
using testing::DnsServer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using testing::TxtRecord;
using ::testing::UnorderedElementsAreArray;

// The zone every lookup test below reads.
DnsRecords Zone() {
  DnsRecords records;
  records.txt = {
      {"_c.one.test", {"tok-one"}},
      {"_c.two.test", {"a"}},
      {"_c.two.test", {"google-site-verification=xyz"}},
      {"_c.multi.test", {"part1", "part2", "part3"}},
      {"_c.spaces.test", {"  padded  "}},
      {"target.test", {"tok-target"}},
  };
  records.cnames = {
      {"_c.alias.test", "target.test"},
      {"_c.chain.test", "_c.alias.test"},
      {"_c.to-host.test", "host.test"},
      {"www.test", "host.test"},
  };
  records.addresses = {
      {"host.test", "127.0.0.1"},
      {"v6.test", "::1"},
      {"both.test", "127.0.0.2"},
      {"both.test", "fd00::2"},
  };
  for (int i = 0; i < 70; ++i) {
    records.txt.push_back({"many.test", {absl::StrCat("value-", 100 + i)}});
  }
  return records;
}

class CaresResolverTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    *dir_ =
        absl::StrCat(::testing::TempDir(), "/cares_resolver_test.", getpid());
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
    resolver_ = MakeResolver(server_->Address());
    ASSERT_NE(resolver_, nullptr);
  }

  static std::unique_ptr<CaresResolver> MakeResolver(
      const std::string& server, absl::Duration timeout = absl::Seconds(5)) {
    CaresOptions options;
    options.server = server;
    options.timeout = timeout;
    absl::StatusOr<std::unique_ptr<CaresResolver>> resolver =
        CaresResolver::Create(options);
    EXPECT_TRUE(resolver.ok()) << resolver.status();
    return resolver.ok() ? *std::move(resolver) : nullptr;
  }

  static inline DnsServer* server_ = nullptr;
  static inline std::string* const start_error_ = new std::string;
  static inline std::string* const dir_ = new std::string;
  std::unique_ptr<CaresResolver> resolver_;
};

struct TxtCase {
  std::string label;
  std::string name;
  DnsError error;
  std::vector<std::string> values;  // any order
};

class TxtLookupTest : public CaresResolverTest,
                      public ::testing::WithParamInterface<TxtCase> {};

TEST_P(TxtLookupTest, Answers) {
  const TxtAnswer answer = resolver_->LookupTxt(GetParam().name);
  EXPECT_EQ(answer.error, GetParam().error) << answer.detail;
  EXPECT_THAT(answer.values, UnorderedElementsAreArray(GetParam().values));
}

INSTANTIATE_TEST_SUITE_P(
    Zone, TxtLookupTest,
    ::testing::Values(
        TxtCase{"one_value", "_c.one.test", DnsError::kNone, {"tok-one"}},
        TxtCase{"any_case", "_C.ONE.Test", DnsError::kNone, {"tok-one"}},
        TxtCase{"two_values",
                "_c.two.test",
                DnsError::kNone,
                {"a", "google-site-verification=xyz"}},
        TxtCase{"multi_string_concatenated",
                "_c.multi.test",
                DnsError::kNone,
                {"part1part2part3"}},
        TxtCase{
            "spaces_kept", "_c.spaces.test", DnsError::kNone, {"  padded  "}},
        TxtCase{"cname", "_c.alias.test", DnsError::kNone, {"tok-target"}},
        TxtCase{
            "cname_chain", "_c.chain.test", DnsError::kNone, {"tok-target"}},
        TxtCase{"cname_to_a_name_without_txt",
                "_c.to-host.test",
                DnsError::kNone,
                {}},
        TxtCase{"only_an_address", "host.test", DnsError::kNone, {}},
        TxtCase{"missing", "_c.missing.test", DnsError::kNxDomain, {}},
        // No upstream: dnsmasq refuses names outside its zone.
        TxtCase{"refused", "_c.example.com", DnsError::kFailure, {}}),
    [](const ::testing::TestParamInfo<TxtCase>& info) {
      return info.param.label;
    });

TEST_F(CaresResolverTest, RefusedSaysWhatAndWho) {
  const TxtAnswer answer = resolver_->LookupTxt("_c.example.com");
  EXPECT_EQ(answer.error, DnsError::kFailure);
  EXPECT_THAT(answer.detail, HasSubstr(server_->Address()));
}

// 70 values do not fit the 1232-byte UDP answer: c-ares retries over TCP.
TEST_F(CaresResolverTest, KeepsAtMost64TxtValues) {
  const TxtAnswer answer = resolver_->LookupTxt("many.test");
  EXPECT_EQ(answer.error, DnsError::kNone) << answer.detail;
  EXPECT_THAT(answer.values, SizeIs(kMaxTxtValues));
  for (const std::string& value : answer.values) {
    EXPECT_THAT(value, ::testing::StartsWith("value-1"));
  }
}

TEST_F(CaresResolverTest, ChangedRecordIsSeenOnTheNextCall) {
  EXPECT_THAT(resolver_->LookupTxt("_c.one.test").values,
              ElementsAre("tok-one"));
  DnsRecords changed;
  changed.txt = {{"_c.one.test", {"tok-changed"}}};
  ASSERT_EQ(server_->Set(changed), absl::OkStatus());
  EXPECT_THAT(resolver_->LookupTxt("_c.one.test").values,
              ElementsAre("tok-changed"));
  ASSERT_EQ(server_->Set(DnsRecords{}), absl::OkStatus());
  EXPECT_EQ(resolver_->LookupTxt("_c.one.test").error, DnsError::kNxDomain);
}

TEST_F(CaresResolverTest, BadNamesFailWithoutAsking) {
  for (const std::string& name :
       {std::string(), std::string(254, 'a'), std::string("a\0b", 3)}) {
    const TxtAnswer txt = resolver_->LookupTxt(name);
    EXPECT_EQ(txt.error, DnsError::kFailure);
    EXPECT_THAT(txt.detail, ::testing::Not(IsEmpty()));
    EXPECT_EQ(resolver_->LookupAddresses(name).error, DnsError::kFailure);
  }
  // A label over 63 bytes: c-ares refuses to encode it.
  const TxtAnswer long_label =
      resolver_->LookupTxt(std::string(64, 'a') + ".test");
  EXPECT_EQ(long_label.error, DnsError::kFailure);
}

// A UDP port that was free a moment ago: nothing answers there.
int ClosedPort() {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

TEST_F(CaresResolverTest, NothingListeningFailsWithinTheTimeout) {
  const absl::Duration timeout = absl::Milliseconds(300);
  std::unique_ptr<CaresResolver> resolver =
      MakeResolver(absl::StrCat("127.0.0.1:", ClosedPort()), timeout);
  ASSERT_NE(resolver, nullptr);
  const absl::Time start = absl::Now();
  const TxtAnswer txt = resolver->LookupTxt("_c.one.test");
  const AddressAnswer addresses = resolver->LookupAddresses("host.test");
  const absl::Duration took = absl::Now() - start;
  EXPECT_THAT(txt.error, AnyOf(DnsError::kTimeout, DnsError::kFailure));
  EXPECT_THAT(txt.detail, HasSubstr("127.0.0.1:"));
  EXPECT_THAT(addresses.error, AnyOf(DnsError::kTimeout, DnsError::kFailure));
  EXPECT_LT(took, 2 * timeout + absl::Milliseconds(200));
}

// A server that never answers (a bound UDP socket nobody reads): the
// lookup ends at the timeout, as kTimeout.
TEST_F(CaresResolverTest, SilentServerTimesOut) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)),
            0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const absl::Duration timeout = absl::Milliseconds(300);
  std::unique_ptr<CaresResolver> resolver = MakeResolver(
      absl::StrCat("127.0.0.1:", ntohs(address.sin_port)), timeout);
  ASSERT_NE(resolver, nullptr);
  const absl::Time start = absl::Now();
  const TxtAnswer txt = resolver->LookupTxt("_c.one.test");
  const absl::Duration took = absl::Now() - start;
  close(fd);
  EXPECT_EQ(txt.error, DnsError::kTimeout);
  EXPECT_THAT(txt.detail, HasSubstr("within 300ms"));
  EXPECT_GE(took, absl::Milliseconds(250));
  EXPECT_LT(took, timeout + absl::Milliseconds(200));
}

struct AddressCase {
  std::string label;
  std::string host;
  DnsError error;
  std::vector<std::string> addresses;  // in order: A then AAAA
};

class AddressLookupTest : public CaresResolverTest,
                          public ::testing::WithParamInterface<AddressCase> {};

TEST_P(AddressLookupTest, Answers) {
  const AddressAnswer answer = resolver_->LookupAddresses(GetParam().host);
  EXPECT_EQ(answer.error, GetParam().error) << answer.detail;
  std::vector<std::string> texts;
  for (const IpAddress& address : answer.addresses) {
    texts.push_back(IpAddressText(address));
  }
  EXPECT_EQ(texts, GetParam().addresses);
}

INSTANTIATE_TEST_SUITE_P(
    Zone, AddressLookupTest,
    ::testing::Values(
        AddressCase{"a", "host.test", DnsError::kNone, {"127.0.0.1"}},
        AddressCase{"cname", "www.test", DnsError::kNone, {"127.0.0.1"}},
        AddressCase{"aaaa", "v6.test", DnsError::kNone, {"::1"}},
        AddressCase{"a_then_aaaa",
                    "both.test",
                    DnsError::kNone,
                    {"127.0.0.2", "fd00::2"}},
        AddressCase{"txt_only", "_c.one.test", DnsError::kNone, {}},
        AddressCase{"missing", "nothing.test", DnsError::kNxDomain, {}},
        AddressCase{"refused", "host.example.com", DnsError::kFailure, {}}),
    [](const ::testing::TestParamInfo<AddressCase>& info) {
      return info.param.label;
    });

TEST_F(CaresResolverTest, ConcurrentLookupsFromEightThreads) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 40;
  std::vector<int> wrong(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t, &wrong] {
      for (int i = 0; i < kRounds; ++i) {
        switch ((t + i) % 4) {
          case 0: {
            const TxtAnswer a = resolver_->LookupTxt("_c.one.test");
            wrong[t] += a.error != DnsError::kNone ||
                        a.values != std::vector<std::string>{"tok-one"};
            break;
          }
          case 1: {
            const TxtAnswer a = resolver_->LookupTxt("_c.alias.test");
            wrong[t] += a.error != DnsError::kNone ||
                        a.values != std::vector<std::string>{"tok-target"};
            break;
          }
          case 2: {
            const TxtAnswer a = resolver_->LookupTxt("_c.missing.test");
            wrong[t] += a.error != DnsError::kNxDomain;
            break;
          }
          default: {
            const AddressAnswer a = resolver_->LookupAddresses("www.test");
            wrong[t] += a.error != DnsError::kNone || a.addresses.size() != 1 ||
                        IpAddressText(a.addresses[0]) != "127.0.0.1";
            break;
          }
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(wrong[t], 0) << "thread " << t;
  }
}

// --dns-resolver values (no server needed).

class ServerFlagTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ServerFlagTest, MalformedIsInvalidArgumentNamingTheFlag) {
  CaresOptions options;
  options.server = GetParam();
  absl::StatusOr<std::unique_ptr<CaresResolver>> resolver =
      CaresResolver::Create(options);
  ASSERT_FALSE(resolver.ok());
  EXPECT_EQ(resolver.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(resolver.status().message(),
              HasSubstr(absl::StrCat("--dns-resolver \"", GetParam(), "\"")));
  EXPECT_THAT(resolver.status().message(),
              HasSubstr("with an IP address host and a port 1-65535"));
}

INSTANTIATE_TEST_SUITE_P(Malformed, ServerFlagTest,
                         ::testing::Values("abc", "1.2.3.4:0", "1.2.3.4:70000",
                                           "[::1", "host.name:53",
                                           "1.2.3.4:", ":53", "1.2.3.4:5x",
                                           "[::1]x", "[1.2.3.4]:53", "1.2.3:53",
                                           "[]:53", "1.2.3.4:+53"));

TEST(ServerFlagLengthTest, TooLongIsInvalidArgument) {
  CaresOptions options;
  options.server = std::string(100, '1');
  absl::StatusOr<std::unique_ptr<CaresResolver>> resolver =
      CaresResolver::Create(options);
  ASSERT_FALSE(resolver.ok());
  EXPECT_THAT(resolver.status().message(), HasSubstr("longer than 64 bytes"));
}

TEST(ServerFlagNulTest, NulByteIsInvalidArgument) {
  CaresOptions options;
  options.server = std::string("127.0.0.1\0:53", 13);
  absl::StatusOr<std::unique_ptr<CaresResolver>> resolver =
      CaresResolver::Create(options);
  ASSERT_FALSE(resolver.ok());
  EXPECT_EQ(resolver.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(resolver.status().message(),
              HasSubstr("--dns-resolver \"127.0.0.1\\x00:53\""));
}

class WellFormedServerTest : public ::testing::TestWithParam<std::string> {};

TEST_P(WellFormedServerTest, IsAccepted) {
  CaresOptions options;
  options.server = GetParam();
  absl::StatusOr<std::unique_ptr<CaresResolver>> resolver =
      CaresResolver::Create(options);
  EXPECT_TRUE(resolver.ok()) << resolver.status();
}

// "" is the system resolver (/etc/resolv.conf).
INSTANTIATE_TEST_SUITE_P(Accepted, WellFormedServerTest,
                         ::testing::Values("", "127.0.0.1", "127.0.0.1:53",
                                           "10.0.0.1:65535", "[::1]:5353",
                                           "[::1]", "::1", "fd00::53"));

TEST(CaresOptionsTest, TimeoutAndTriesAreBounded) {
  for (const auto& [timeout, tries] :
       std::vector<std::pair<absl::Duration, int>>{{absl::ZeroDuration(), 2},
                                                   {absl::Seconds(61), 2},
                                                   {absl::Seconds(1), 0},
                                                   {absl::Seconds(1), 9}}) {
    CaresOptions options;
    options.timeout = timeout;
    options.tries = tries;
    absl::StatusOr<std::unique_ptr<CaresResolver>> resolver =
        CaresResolver::Create(options);
    EXPECT_EQ(resolver.status().code(), absl::StatusCode::kInvalidArgument)
        << timeout << " " << tries;
  }
}

}  // namespace
}  // namespace corsd::dns
