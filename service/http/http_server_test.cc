// HttpServer against a real OriginTable, PolicyRegistry and Engine, in
// process, spoken to over loopback with cpp-httplib's client.
#include "service/http/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "service/decision/engine.h"
#include "service/decision/metrics.h"
#include "service/domain/domain_index.h"
#include "service/door/decision_id.h"
#include "service/door/decision_observer.h"
#include "service/policy/policy.h"
#include "service/policy/policy_registry.h"
#include "service/table/epoch.h"
#include "service/table/origin_table.h"

namespace corsd::http {
namespace {

using table::Op;

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(
        table_
            .Apply({
                {Op::Kind::kAddTenant, "acme", ""},
                {Op::Kind::kAddOrigin, "acme", "https://shop.customer.com"},
                {Op::Kind::kAddApiHost, "acme", "api.acme.com"},
                {Op::Kind::kAddTenant, "open", ""},
            })
            .ok());
    policy::Policy acme;
    acme.allowed_methods = {"GET", "POST", "PUT"};
    acme.allowed_headers = {"x-allowed"};
    acme.exposed_headers = {"x-request-id"};
    acme.allow_credentials = true;
    acme.max_age_seconds = 600;
    acme.enforce_unsafe_methods = true;
    SetPolicy("acme", acme);
    policy::Policy open;
    open.public_origin = true;
    SetPolicy("open", open);

    domains_.Apply(
        {{"verified.customer.com", true}, {"*.brand.customer.com", true}});
    HttpServerOptions options;
    options.threads = 2;
    options.saas_hosts = {"app.saas.test", "*.tenants.saas.test"};
    auto server = HttpServer::Start(options, HttpDeps{.engine = &engine_,
                                                      .table = &table_,
                                                      .epochs = &epochs_,
                                                      .catalog = nullptr,
                                                      .metrics = &metrics_,
                                                      .domains = &domains_});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }

  void SetPolicy(const std::string& tenant, const policy::Policy& p) {
    auto compiled = policy::Validate(p);
    ASSERT_TRUE(compiled.ok()) << compiled.status();
    table::TenantId id;
    {
      table::EpochManager::ReadGuard guard(&epochs_);
      id = table_.FindTenant(tenant);
    }
    ASSERT_TRUE(registry_.Set(id, *std::move(compiled)).ok());
  }

  httplib::Result Auth(httplib::Headers headers) {
    return client_->Get("/auth", headers);
  }

  table::EpochManager epochs_;
  table::OriginTable table_{&epochs_};
  policy::PolicyRegistry registry_{&epochs_};
  decision::Engine engine_{&table_, &registry_};
  decision::DecisionMetrics metrics_;
  domain::DomainIndex domains_{&epochs_};
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(HttpServerTest, HealthAndReady) {
  auto live = client_->Get("/healthz");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
  auto ready = client_->Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  EXPECT_EQ(ready->get_header_value("Cache-Control"), "no-store");
}

TEST_F(HttpServerTest, UnknownPathIs404NamingTheEndpoints) {
  auto res = client_->Get("/nope");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_TRUE(absl::StrContains(res->body, "/auth")) << res->body;
}

// /ask approves verified custom domains, one label under a verified
// wildcard, API hosts and --saas-hosts; never the host of an origin a
// tenant merely allows (shop.customer.com is acme's origin here).
TEST_F(HttpServerTest, AskApprovesOnlyVerifiedDomainsApiAndSaasHosts) {
  struct Case {
    std::string domain;
    int status;
  };
  const Case cases[] = {
      {"verified.customer.com", 200},
      {"VERIFIED.Customer.com", 200},  // canonicalized first
      {"verified.customer.com:443", 200},
      {"a.brand.customer.com", 200},
      {"b.a.brand.customer.com", 404},
      {"brand.customer.com", 404},
      {"api.acme.com", 200},
      {"app.saas.test", 200},
      {"t1.tenants.saas.test", 200},
      {"shop.customer.com", 404},
      {"evil.com", 404},
      {"customer.com", 404},
      {"exa mple.com", 400},
      {"10.0.0.1", 400},
  };
  for (const Case& c : cases) {
    auto res = client_->Get("/ask", httplib::Params{{"domain", c.domain}},
                            httplib::Headers{});
    ASSERT_TRUE(res) << c.domain;
    EXPECT_EQ(res->status, c.status) << c.domain << ": " << res->body;
  }
  auto missing = client_->Get("/ask");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 400);
  EXPECT_TRUE(absl::StrContains(missing->body, "domain")) << missing->body;
  auto metrics = client_->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_TRUE(absl::StrContains(metrics->body,
                                "corsd_ask_total{outcome=\"unknown\"} 5"))
      << metrics->body;
  EXPECT_TRUE(absl::StrContains(metrics->body,
                                "corsd_ask_total{outcome=\"domain\"} 3"));
}

TEST(HttpServerOptionsTest, BadSaasHostsAreRefusedNamingTheFlag) {
  table::EpochManager epochs;
  table::OriginTable table(&epochs);
  policy::PolicyRegistry registry(&epochs);
  decision::Engine engine(&table, &registry);
  HttpServerOptions options;
  options.saas_hosts = {"co.uk"};
  auto server = HttpServer::Start(
      options, HttpDeps{.engine = &engine, .table = &table, .epochs = &epochs});
  ASSERT_FALSE(server.ok());
  EXPECT_TRUE(absl::StrContains(server.status().message(), "--saas-hosts"))
      << server.status();
}

TEST_F(HttpServerTest, AuthAllowsAnEntryWithItsExactOrigin) {
  auto res = Auth({{"X-Original-Method", "GET"},
                   {"X-Original-URI", "/v1/items"},
                   {"X-Original-Host", "api.acme.com"},
                   {"Origin", "https://shop.customer.com"},
                   {"X-Corsd-Credentials", "1"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("access-control-allow-origin"),
            "https://shop.customer.com");
  EXPECT_EQ(res->get_header_value("access-control-allow-credentials"), "true");
  EXPECT_EQ(res->get_header_value("access-control-expose-headers"),
            "x-request-id");
  EXPECT_TRUE(absl::StrContains(res->get_header_value("vary"), "Origin"));
  EXPECT_EQ(res->get_header_value("X-Corsd-Tenant"), "acme");
  EXPECT_EQ(res->get_header_value("X-Corsd-Reason"),
            "REASON_R2_ORIGIN_ALLOWED");
}

// The shared tenant order (service/door/run_path.h): the path's tenant,
// then the host's API host, then the tenant header.
TEST_F(HttpServerTest, AuthTenantOrderPathThenHostThenHeader) {
  const httplib::Headers from_acme_host = {
      {"X-Original-Method", "GET"},
      {"X-Original-Host", "api.acme.com"},
      {"X-Corsd-Tenant", "open"},
      {"Origin", "https://anyone.example"}};
  auto by_path = client_->Get("/auth/open", from_acme_host);
  ASSERT_TRUE(by_path);
  EXPECT_EQ(by_path->status, 200);
  EXPECT_EQ(by_path->get_header_value("access-control-allow-origin"), "*");
  EXPECT_EQ(by_path->get_header_value("X-Corsd-Reason"), "REASON_R3_PUBLIC");

  auto by_host = Auth(from_acme_host);
  ASSERT_TRUE(by_host);
  EXPECT_EQ(by_host->get_header_value("X-Corsd-Tenant"), "acme")
      << "a header (which a client can send) never overrides the host";
  EXPECT_FALSE(by_host->has_header("access-control-allow-origin"));

  auto by_header = Auth({{"X-Original-Method", "GET"},
                         {"X-Original-Host", "unknown.example"},
                         {"X-Corsd-Tenant", "open"},
                         {"Origin", "https://anyone.example"}});
  ASSERT_TRUE(by_header);
  EXPECT_EQ(by_header->get_header_value("X-Corsd-Tenant"), "open");
  EXPECT_EQ(by_header->get_header_value("access-control-allow-origin"), "*");

  auto empty_path_tenant = client_->Get("/auth/", from_acme_host);
  ASSERT_TRUE(empty_path_tenant);
  EXPECT_EQ(empty_path_tenant->status, 200);
  EXPECT_EQ(empty_path_tenant->get_header_value("X-Corsd-Tenant"), "acme");

  auto bad_path = client_->Get("/auth/a/b", from_acme_host);
  ASSERT_TRUE(bad_path);
  EXPECT_EQ(bad_path->status, 400);
  EXPECT_TRUE(absl::StrContains(bad_path->body, "no \"/\"")) << bad_path->body;
}

TEST_F(HttpServerTest, AuthContinuesARefusedSafeRequestWithoutCorsHeaders) {
  auto res = Auth({{"X-Original-Method", "GET"},
                   {"X-Original-Host", "api.acme.com"},
                   {"Origin", "https://evil.com"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_FALSE(res->has_header("access-control-allow-origin"));
  EXPECT_TRUE(absl::StrContains(res->get_header_value("vary"), "Origin"));
  EXPECT_EQ(res->get_header_value("X-Corsd-Reason"),
            "REASON_R2_ORIGIN_NOT_ALLOWED");
}

TEST_F(HttpServerTest, AuthDeniesUnsafeMethodAndWebSocketFromRefusedOrigin) {
  auto put = Auth({{"X-Original-Method", "PUT"},
                   {"X-Original-Host", "api.acme.com"},
                   {"Origin", "https://evil.com"}});
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 403);
  EXPECT_EQ(put->get_header_value("X-Corsd-Reason"),
            "REASON_R14_UNSAFE_METHOD_DENIED");
  EXPECT_FALSE(put->body.empty());  // the explanation

  auto ws = Auth({{"X-Original-Method", "GET"},
                  {"X-Original-Host", "api.acme.com"},
                  {"X-Original-Upgrade", "websocket"},
                  {"X-Original-Connection", "Upgrade"},
                  {"Origin", "https://evil.com"}});
  ASSERT_TRUE(ws);
  EXPECT_EQ(ws->status, 403);
  EXPECT_EQ(ws->get_header_value("X-Corsd-Reason"),
            "REASON_R13_WEBSOCKET_REFUSED");

  auto ws_ok = Auth({{"X-Original-Method", "GET"},
                     {"X-Original-Host", "api.acme.com"},
                     {"X-Original-Upgrade", "websocket"},
                     {"X-Original-Connection", "Upgrade"},
                     {"Origin", "https://shop.customer.com"}});
  ASSERT_TRUE(ws_ok);
  EXPECT_EQ(ws_ok->status, 200);
}

TEST_F(HttpServerTest, AuthBadInputNamesTheHeader) {
  auto res = Auth({{"X-Original-Host", "api.acme.com"},
                   {"Origin", "https://shop.customer.com"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_TRUE(absl::StrContains(res->body, "X-Original-Method")) << res->body;

  auto big = Auth({{"X-Original-Method", "GET"},
                   {"X-Original-Host", "api.acme.com"},
                   {"Access-Control-Request-Headers", "x,"},
                   {"Access-Control-Request-Headers", std::string(5000, 'a')},
                   {"Access-Control-Request-Headers", std::string(5000, 'b')}});
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 431);
  EXPECT_TRUE(absl::StrContains(big->body, "Access-Control-Request-Headers"))
      << big->body;
}

TEST_F(HttpServerTest, PreflightAnsweredDirectly) {
  httplib::Headers allowed = {
      {"Host", "api.acme.com"},
      {"X-Original-URI", "/v1/items"},
      {"Origin", "https://shop.customer.com"},
      {"Access-Control-Request-Method", "PUT"},
      {"Access-Control-Request-Headers", "content-type,x-allowed"}};
  auto ok = client_->Options("/preflight", allowed);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 204);
  EXPECT_EQ(ok->get_header_value("access-control-allow-origin"),
            "https://shop.customer.com");
  EXPECT_TRUE(absl::StrContains(
      ok->get_header_value("access-control-allow-methods"), "PUT"));
  EXPECT_TRUE(absl::StrContains(
      ok->get_header_value("access-control-allow-headers"), "x-allowed"));
  EXPECT_EQ(ok->get_header_value("access-control-max-age"), "600");
  // Vary joined into one header value.
  EXPECT_TRUE(absl::StrContains(ok->get_header_value("vary"),
                                "Access-Control-Request-Method"));
  EXPECT_EQ(ok->get_header_value_count("vary"), 1u);

  httplib::Headers refused = allowed;
  refused.erase("Access-Control-Request-Headers");
  refused.emplace("Access-Control-Request-Headers", "x-not-allowed");
  auto no = client_->Options("/preflight", refused);
  ASSERT_TRUE(no);
  EXPECT_EQ(no->status, 403);
  EXPECT_FALSE(no->has_header("access-control-allow-origin"));
  EXPECT_EQ(no->get_header_value("X-Corsd-Reason"),
            "REASON_R8_HEADER_NOT_ALLOWED");
  // No explanation goes to the client from /preflight.
  EXPECT_TRUE(no->body.empty()) << no->body;
}

TEST_F(HttpServerTest, PreflightReachingAuthIsTold204) {
  auto res = Auth({{"X-Original-Method", "OPTIONS"},
                   {"X-Original-Host", "api.acme.com"},
                   {"Origin", "https://shop.customer.com"},
                   {"Access-Control-Request-Method", "PUT"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("X-Corsd-Status"), "204");
}

TEST_F(HttpServerTest, MetricsCountDecisionsAndShowTheTable) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Auth({{"X-Original-Method", "GET"},
                      {"X-Original-Host", "api.acme.com"},
                      {"Origin", "https://shop.customer.com"}}));
  }
  EXPECT_EQ(metrics_.DecisionCount(
                static_cast<int>(decision::Action::kContinue),
                static_cast<int>(decision::Reason::kR2OriginAllowed)),
            3u);
  auto res = client_->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_TRUE(absl::StartsWith(res->get_header_value("Content-Type"),
                               "text/plain; version=0.0.4"));
  EXPECT_TRUE(
      absl::StrContains(res->body, "corsd_table_entries{kind=\"tenants\"} 2"))
      << res->body;
  EXPECT_TRUE(
      absl::StrContains(res->body, "corsd_decision_latency_seconds_count 3"))
      << res->body;
  EXPECT_TRUE(absl::StrContains(res->body, "corsd_ready 1")) << res->body;
  EXPECT_TRUE(absl::StrContains(
      res->body,
      "corsd_http_requests_total{endpoint=\"/auth\",code=\"200\"} 3\n"))
      << res->body;
}

TEST_F(HttpServerTest, ConcurrentClients) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, &ok] {
      httplib::Client c("127.0.0.1", server_->port());
      for (int i = 0; i < 50; ++i) {
        auto res = c.Get(
            "/auth", httplib::Headers{{"X-Original-Method", "GET"},
                                      {"X-Original-Host", "api.acme.com"},
                                      {"Origin", "https://shop.customer.com"}});
        if (res && res->status == 200) ok.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 200);
}

// One connection serves many requests (cpp-httplib's default is 5), so a
// gateway's keep-alive pool to corsd does not reconnect every few requests.
TEST_F(HttpServerTest, KeepAliveServesManyRequestsPerConnection) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: corsd\r\n\r\n";
  int answered = 0;
  std::string buffer;
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(send(fd, request.data(), request.size(), 0),
              static_cast<ssize_t>(request.size()));
    // Each answer ends with the body "ok\n".
    while (buffer.find("\r\n\r\nok\n") == std::string::npos) {
      char chunk[1024];
      const ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
      if (n <= 0) break;
      buffer.append(chunk, static_cast<size_t>(n));
    }
    const size_t end = buffer.find("\r\n\r\nok\n");
    if (end == std::string::npos) break;
    EXPECT_FALSE(absl::StrContains(buffer.substr(0, end), "Connection: close"))
        << "request " << i;
    buffer.erase(0, end + 7);
    ++answered;
  }
  close(fd);
  EXPECT_EQ(answered, 20);
}

TEST(HttpServerStartTest, RefusesBadOptionsAndDeps) {
  table::EpochManager epochs;
  table::OriginTable table(&epochs);
  policy::PolicyRegistry registry(&epochs);
  decision::Engine engine(&table, &registry);
  const HttpDeps deps{.engine = &engine, .table = &table, .epochs = &epochs};

  for (const char* listen :
       {"127.0.0.1", "127.0.0.1:99999", ":80", "::1:80", "127.0.0.1:x"}) {
    HttpServerOptions options;
    options.listen = listen;
    auto s = HttpServer::Start(options, deps);
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << listen;
    EXPECT_TRUE(absl::StrContains(s.status().message(), listen)) << listen;
  }
  HttpServerOptions zero_threads;
  zero_threads.threads = 0;
  EXPECT_EQ(HttpServer::Start(zero_threads, deps).status().code(),
            absl::StatusCode::kInvalidArgument);
  HttpServerOptions no_timeout;
  no_timeout.io_timeout = absl::ZeroDuration();
  EXPECT_EQ(HttpServer::Start(no_timeout, deps).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(HttpServer::Start({}, HttpDeps{}).status().code(),
            absl::StatusCode::kInvalidArgument);

  // Port in use.
  auto first = HttpServer::Start({}, deps);
  ASSERT_TRUE(first.ok()) << first.status();
  HttpServerOptions same;
  same.listen = (*first)->address();
  auto second = HttpServer::Start(same, deps);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable)
      << second.status();

  // Shutdown is idempotent, and the destructor after it is fine.
  (*first)->Shutdown();
  (*first)->Shutdown();
}

TEST(HttpServerStartTest, IPv6Loopback) {
  table::EpochManager epochs;
  table::OriginTable table(&epochs);
  policy::PolicyRegistry registry(&epochs);
  decision::Engine engine(&table, &registry);
  HttpServerOptions options;
  options.listen = "[::1]:0";
  auto server = HttpServer::Start(
      options, {.engine = &engine, .table = &table, .epochs = &epochs});
  if (!server.ok())
    GTEST_SKIP() << "no IPv6 loopback here: " << server.status();
  EXPECT_TRUE(absl::StartsWith((*server)->address(), "[::1]:"));
  httplib::Client c("::1", (*server)->port());
  auto res = c.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

// Keeps what each decision event showed (views copied during the call).
class DoorRecorder : public door::DecisionObserver {
 public:
  void OnDecision(const door::DecisionEvent& e) override {
    absl::MutexLock lock(&mu_);
    seen_.emplace_back(std::string(e.door), e.id);
  }
  std::vector<std::pair<std::string, uint64_t>> seen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::pair<std::string, uint64_t>> seen_;
};

TEST_F(HttpServerTest, DecisionsCarryTheirIdAndReachTheObserverAsHttp) {
  door::DecisionIds ids(100);
  DoorRecorder observer;
  auto server =
      HttpServer::Start(HttpServerOptions{}, HttpDeps{.engine = &engine_,
                                                      .table = &table_,
                                                      .epochs = &epochs_,
                                                      .ids = &ids,
                                                      .observer = &observer});
  ASSERT_TRUE(server.ok()) << server.status();
  httplib::Client client("127.0.0.1", (*server)->port());
  auto refused = client.Get("/auth", {{"X-Original-Method", "PUT"},
                                      {"X-Original-Host", "api.acme.com"},
                                      {"Origin", "https://evil.example"}});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  auto preflight = client.Options("/preflight/acme",
                                  {{"Origin", "https://shop.customer.com"},
                                   {"Access-Control-Request-Method", "PUT"}});
  ASSERT_TRUE(preflight);
  EXPECT_EQ(preflight->status, 204);
  const auto seen = observer.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].first, "http");
  EXPECT_EQ(refused->get_header_value("X-Corsd-Decision-Id"),
            door::FormatDecisionId(seen[0].second).view());
  EXPECT_EQ(preflight->get_header_value("X-Corsd-Decision-Id"),
            door::FormatDecisionId(seen[1].second).view());
  EXPECT_EQ(seen[0].second, door::DecisionIds::Mix(100));
  // Without an id source (the fixture's server) no id header is sent.
  auto plain = Auth({{"X-Original-Method", "GET"},
                     {"X-Original-Host", "api.acme.com"},
                     {"Origin", "https://evil.example"}});
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->has_header("X-Corsd-Decision-Id"));
}

}  // namespace
}  // namespace corsd::http
