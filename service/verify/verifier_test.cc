// The verifier against a real DNS server (Debian's dnsmasq on loopback,
// records changed by the test) and a real Catalog over SQLite, with a clock
// the test moves: pending -> verified; record removed -> failing ->
// suspended after the grace; wrong value -> failing with the seen value;
// the background worker verifies on its own; grants follow the state.
#include "service/verify/verifier.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/dns/cares_resolver.h"
#include "service/dns/testing/dns_server.h"
#include "service/store/testing/catalog_fixture.h"

namespace corsd::verify {
namespace {

bool IsApproved(domain::DomainIndex::Match m) {
  return m == domain::DomainIndex::Match::kExact ||
         m == domain::DomainIndex::Match::kWildcard;
}

using ::corsd::dns::testing::DnsRecords;
using ::corsd::dns::testing::DnsServer;
using ::corsd::store::testing::Node;
using ::corsd::store::testing::PutReq;
using ::corsd::store::testing::TempDir;

constexpr int64_t kHour = 3600 * 1000;

class VerifierTest : public testing::Test {
 protected:
  void SetUp() override {
    auto dns = DnsServer::Start(dir_.path() + "/dns");
    ASSERT_TRUE(dns.ok()) << dns.status();
    dns_ = *std::move(dns);
    dns::CaresOptions resolver_options;
    resolver_options.server = dns_->Address();
    resolver_options.timeout = absl::Seconds(2);
    auto resolver = dns::CaresResolver::Create(resolver_options);
    ASSERT_TRUE(resolver.ok()) << resolver.status();
    resolver_ = *std::move(resolver);
    store::CatalogOptions options;
    options.lifecycle.grace = absl::Hours(2);
    options.now_ms = [this] { return now_.load(); };
    node_ = std::make_unique<Node>(dir_.path() + "/store", false, options);
    ASSERT_NE(node_->catalog, nullptr);
    corsd::v1::PutTenantRequest put = PutReq("shop");
    put.mutable_tenant()->mutable_policy()->set_custom_domain_origins(true);
    ASSERT_TRUE(node_->catalog->PutTenant(put).ok());
    VerifierOptions verifier_options;
    verifier_options.poll = absl::Milliseconds(20);
    verifier_ = std::make_unique<Verifier>(node_->catalog.get(),
                                           resolver_.get(), verifier_options);
  }

  void TearDown() override {
    verifier_.reset();
    node_.reset();
  }

  // Adds `host` by DNS proof; returns its token.
  std::string Add(const std::string& host) {
    corsd::v1::AddDomainRequest add;
    add.set_tenant("shop");
    add.set_host(host);
    add.set_method(corsd::v1::DOMAIN_METHOD_DNS);
    auto info = node_->catalog->AddDomain(add);
    EXPECT_TRUE(info.ok()) << info.status();
    return info.ok() ? info->domain().token() : "";
  }

  absl::Status Publish(const std::string& host,
                       const std::vector<std::string>& values) {
    DnsRecords records;
    for (const std::string& v : values) {
      records.txt.push_back({"_corsd-challenge." + host, {v}});
    }
    records.addresses.push_back({host, "127.0.0.1"});
    return dns_->Set(records);
  }

  bool Asked(const std::string& host) {
    return IsApproved(node_->catalog->domain_index().Lookup(host));
  }
  table::TenantId Routed(const std::string& host) {
    table::EpochManager::ReadGuard guard(&node_->epochs);
    return node_->table.FindApiHost(host);
  }

  TempDir dir_;
  std::unique_ptr<DnsServer> dns_;
  std::unique_ptr<dns::CaresResolver> resolver_;
  std::atomic<int64_t> now_{1'700'000'000'000};
  std::unique_ptr<Node> node_;
  std::unique_ptr<Verifier> verifier_;
};

TEST_F(VerifierTest, PendingToVerifiedGrantsRoutingOriginAndAsk) {
  const std::string token = Add("shop.customer-one.test");
  EXPECT_FALSE(Asked("shop.customer-one.test"));
  ASSERT_TRUE(Publish("shop.customer-one.test", {token}).ok());
  auto record = verifier_->VerifyNow("shop", "shop.customer-one.test");
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->state(), corsd::v1::DOMAIN_STATE_VERIFIED);
  EXPECT_EQ(record->attempts(0).outcome(),
            corsd::v1::DomainAttempt::OUTCOME_PROVEN);
  EXPECT_TRUE(record->granted_api_host());
  EXPECT_TRUE(record->granted_origin());
  EXPECT_TRUE(Asked("shop.customer-one.test"));
  EXPECT_NE(Routed("shop.customer-one.test"), table::kNoTenant);
  EXPECT_EQ(store::testing::Origins(*node_->catalog, "shop"),
            std::vector<std::string>{"https://shop.customer-one.test"});
  EXPECT_EQ(verifier_->Attempts(corsd::v1::DOMAIN_METHOD_DNS,
                                corsd::v1::DomainAttempt::OUTCOME_PROVEN),
            1u);
}

TEST_F(VerifierTest, WrongValueIsFailingWithTheSeenValue) {
  Add("shop.customer-one.test");
  ASSERT_TRUE(
      Publish("shop.customer-one.test", {"google-site-verification=abc"}).ok());
  auto record = verifier_->VerifyNow("shop", "shop.customer-one.test");
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->state(), corsd::v1::DOMAIN_STATE_FAILING);
  EXPECT_EQ(record->attempts(0).outcome(),
            corsd::v1::DomainAttempt::OUTCOME_WRONG_VALUE);
  EXPECT_NE(record->attempts(0).reason().find("google-site-verification=abc"),
            std::string::npos)
      << record->attempts(0).reason();
  ASSERT_EQ(record->attempts(0).seen_size(), 1);
  EXPECT_EQ(record->attempts(0).seen(0), "google-site-verification=abc");
  EXPECT_FALSE(Asked("shop.customer-one.test"));
  EXPECT_EQ(Routed("shop.customer-one.test"), table::kNoTenant);
}

TEST_F(VerifierTest, RecordRemovedFailsThenSuspendsAfterTheGrace) {
  const std::string token = Add("shop.customer-one.test");
  ASSERT_TRUE(Publish("shop.customer-one.test", {token}).ok());
  ASSERT_EQ(verifier_->VerifyNow("shop", "shop.customer-one.test")->state(),
            corsd::v1::DOMAIN_STATE_VERIFIED);
  // The customer's DNS moved away.
  ASSERT_TRUE(dns_->Set({}).ok());
  now_ += 25 * kHour;
  auto failing = verifier_->VerifyNow("shop", "shop.customer-one.test");
  ASSERT_TRUE(failing.ok()) << failing.status();
  EXPECT_EQ(failing->state(), corsd::v1::DOMAIN_STATE_FAILING);
  EXPECT_EQ(failing->attempts(0).outcome(),
            corsd::v1::DomainAttempt::OUTCOME_NXDOMAIN)
      << failing->attempts(0).reason();
  // Within the grace: still routed, no longer approved by /ask.
  EXPECT_NE(Routed("shop.customer-one.test"), table::kNoTenant);
  EXPECT_FALSE(Asked("shop.customer-one.test"));
  now_ += 2 * kHour;
  auto suspended = verifier_->VerifyNow("shop", "shop.customer-one.test");
  ASSERT_TRUE(suspended.ok()) << suspended.status();
  EXPECT_EQ(suspended->state(), corsd::v1::DOMAIN_STATE_SUSPENDED);
  EXPECT_EQ(Routed("shop.customer-one.test"), table::kNoTenant);
  EXPECT_TRUE(store::testing::Origins(*node_->catalog, "shop").empty());
  // Published again: verified again, grants back.
  ASSERT_TRUE(Publish("shop.customer-one.test", {token}).ok());
  now_ += kHour;
  auto back = verifier_->VerifyNow("shop", "shop.customer-one.test");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->state(), corsd::v1::DOMAIN_STATE_VERIFIED);
  EXPECT_NE(Routed("shop.customer-one.test"), table::kNoTenant);
}

TEST_F(VerifierTest, TheBackgroundWorkerVerifiesDueDomains) {
  std::vector<std::string> hosts;
  DnsRecords records;
  for (int i = 0; i < 12; ++i) {
    const std::string host = absl::StrCat("d", i, ".customer-two.test");
    records.txt.push_back({"_corsd-challenge." + host, {Add(host)}});
    hosts.push_back(host);
  }
  ASSERT_TRUE(dns_->Set(records).ok());
  verifier_->Start();
  verifier_->Wake();
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  int verified = 0;
  while (absl::Now() < deadline) {
    verified = 0;
    for (const std::string& host : hosts) verified += Asked(host) ? 1 : 0;
    if (verified == 12) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(verified, 12);
  verifier_->Stop();
  const store::DomainCounts counts = node_->catalog->CountDomains();
  EXPECT_EQ(counts.by_state[corsd::v1::DOMAIN_STATE_VERIFIED], 12u);
}

TEST_F(VerifierTest, StatesAndTimersSurviveARestart) {
  const std::string token = Add("shop.customer-one.test");
  ASSERT_TRUE(Publish("shop.customer-one.test", {token}).ok());
  auto verified = verifier_->VerifyNow("shop", "shop.customer-one.test");
  ASSERT_TRUE(verified.ok());
  verifier_.reset();
  node_.reset();
  store::CatalogOptions options;
  options.now_ms = [this] { return now_.load(); };
  node_ = std::make_unique<Node>(dir_.path() + "/store", false, options);
  corsd::v1::DomainRequest get;
  get.set_tenant("shop");
  get.set_host("shop.customer-one.test");
  auto info = node_->catalog->GetDomain(get);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->domain().state(), corsd::v1::DOMAIN_STATE_VERIFIED);
  EXPECT_EQ(info->domain().next_attempt_unix_ms(),
            verified->next_attempt_unix_ms());
  EXPECT_EQ(info->domain().token(), token);
  EXPECT_TRUE(Asked("shop.customer-one.test"));
  EXPECT_NE(Routed("shop.customer-one.test"), table::kNoTenant);
}

// A real HTTP server on loopback serving (then not serving) the token: the
// HTTP proof through the verifier, names resolved by the real DNS server.
class TokenServer {
 public:
  TokenServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(fd_, 16);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TokenServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  int port() const { return port_; }
  void Serve(const std::string& token) {
    std::lock_guard<std::mutex> lock(mu_);
    token_ = token;
  }

 private:
  void Serve() {
    while (!stop_) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[4096];
      std::string request;
      while (request.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::read(c, buf, sizeof(buf));
        if (n <= 0) break;
        request.append(buf, n);
      }
      std::string token;
      {
        std::lock_guard<std::mutex> lock(mu_);
        token = token_;
      }
      const bool hit =
          !token.empty() &&
          request.find("GET /.well-known/corsd-challenge/" + token + " ") == 0;
      const std::string body = hit ? token + "\n" : "not here\n";
      const std::string response =
          absl::StrCat("HTTP/1.1 ", hit ? "200 OK" : "404 Not Found",
                       "\r\nContent-Length: ", body.size(),
                       "\r\nConnection: close\r\n\r\n", body);
      (void)!::write(c, response.data(), response.size());
      ::close(c);
    }
  }
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::string token_;
  std::thread thread_;
};

TEST_F(VerifierTest, HttpProofServedThenGone) {
  TokenServer server;
  VerifierOptions options;
  options.http.port = server.port();
  options.http.allow_private = true;  // the test server is on loopback
  options.http.timeout = absl::Seconds(2);
  Verifier verifier(node_->catalog.get(), resolver_.get(), options);
  corsd::v1::AddDomainRequest add;
  add.set_tenant("shop");
  add.set_host("www.customer-three.test");
  add.set_method(corsd::v1::DOMAIN_METHOD_HTTP);
  auto info = node_->catalog->AddDomain(add);
  ASSERT_TRUE(info.ok()) << info.status();
  DnsRecords records;
  records.addresses.push_back({"www.customer-three.test", "127.0.0.1"});
  ASSERT_TRUE(dns_->Set(records).ok());
  auto missing = verifier.VerifyNow("shop", "www.customer-three.test");
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_EQ(missing->attempts(0).outcome(),
            corsd::v1::DomainAttempt::OUTCOME_HTTP_STATUS)
      << missing->attempts(0).reason();
  server.Serve(info->domain().token());
  auto verified = verifier.VerifyNow("shop", "www.customer-three.test");
  ASSERT_TRUE(verified.ok());
  EXPECT_EQ(verified->state(), corsd::v1::DOMAIN_STATE_VERIFIED)
      << verified->attempts(0).reason();
  EXPECT_TRUE(Asked("www.customer-three.test"));
  server.Serve("");
  now_ += 25 * kHour;
  auto failing = verifier.VerifyNow("shop", "www.customer-three.test");
  EXPECT_EQ(failing->state(), corsd::v1::DOMAIN_STATE_FAILING);
  // Without allow_private the verifier refuses loopback: no SSRF.
  Verifier strict(node_->catalog.get(), resolver_.get(), VerifierOptions());
  server.Serve(info->domain().token());
  auto refused = strict.VerifyNow("shop", "www.customer-three.test");
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->attempts(0).outcome(),
            corsd::v1::DomainAttempt::OUTCOME_PRIVATE_TARGET)
      << refused->attempts(0).reason();
}

TEST_F(VerifierTest, VerifyNowRefusesOperatorDomains) {
  corsd::v1::AddDomainRequest add;
  add.set_tenant("shop");
  add.set_host("api.customer-one.test");
  add.set_method(corsd::v1::DOMAIN_METHOD_OPERATOR);
  ASSERT_TRUE(node_->catalog->AddDomain(add).ok());
  auto record = verifier_->VerifyNow("shop", "api.customer-one.test");
  EXPECT_EQ(record.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      verifier_->VerifyNow("shop", "nope.customer-one.test").status().code(),
      absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace corsd::verify
