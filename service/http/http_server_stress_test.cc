// One writer changes the table while HTTP clients ask /auth and /ask: every
// answer is one of the states the writer produced (never an error or a
// half-applied batch), and once the writer has published an origin and its
// host as an API host (one batch) every later /auth and /ask sees them.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "service/decision/engine.h"
#include "service/http/http_server.h"
#include "service/policy/policy.h"
#include "service/policy/policy_registry.h"
#include "service/table/epoch.h"
#include "service/table/origin_table.h"

namespace corsd::http {
namespace {

using table::Op;

TEST(HttpServerStressTest, OneWriterManyHttpReaders) {
  table::EpochManager epochs;
  table::OriginTable table(&epochs);
  policy::PolicyRegistry registry(&epochs);
  decision::Engine engine(&table, &registry);
  ASSERT_TRUE(table
                  .Apply({{Op::Kind::kAddTenant, "acme", ""},
                          {Op::Kind::kAddApiHost, "acme", "api.acme.com"}})
                  .ok());
  HttpServerOptions options;
  options.threads = 4;
  auto server = HttpServer::Start(
      options, {.engine = &engine, .table = &table, .epochs = &epochs});
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();

  constexpr int kOrigins = 300;
  // Origins 0..published-1 are in the table (release: the reader that sees
  // the count also sees the Apply that preceded it).
  std::atomic<int> published{0};
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0};
  std::atomic<int> answers{0};

  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      httplib::Client c("127.0.0.1", port);
      c.set_keep_alive(true);
      int i = t;
      while (!stop.load(std::memory_order_relaxed)) {
        const int known = published.load(std::memory_order_acquire);
        const int n = (i++ * 7) % kOrigins;
        const std::string host = absl::StrCat("shop", n, ".customer.com");
        auto ask = c.Get("/ask", httplib::Params{{"domain", host}},
                         httplib::Headers{});
        if (!ask || (ask->status != 200 && ask->status != 404) ||
            (n < known && ask->status != 200)) {
          errors.fetch_add(1);
        }
        auto auth =
            c.Get("/auth", httplib::Headers{{"X-Original-Method", "GET"},
                                            {"X-Original-Host", "api.acme.com"},
                                            {"Origin", "https://" + host}});
        const bool allowed =
            auth && auth->status == 200 &&
            auth->get_header_value("access-control-allow-origin") ==
                "https://" + host;
        if (!auth || auth->status != 200 || (n < known && !allowed)) {
          errors.fetch_add(1);
        }
        answers.fetch_add(1);
      }
    });
  }
  for (int n = 0; n < kOrigins; ++n) {
    ASSERT_TRUE(table
                    .Apply({{Op::Kind::kAddOrigin, "acme",
                             absl::StrCat("https://shop", n, ".customer.com")},
                            {Op::Kind::kAddApiHost, "acme",
                             absl::StrCat("shop", n, ".customer.com")}})
                    .ok());
    published.store(n + 1, std::memory_order_release);
    epochs.Reclaim();
    // Pace the writer so that reads overlap every state: wait for at least
    // one more answer (bounded, so a stuck server fails instead of hanging).
    const int before = answers.load();
    for (int spin = 0; spin < 20000 && answers.load() <= before; ++spin) {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
  stop.store(true);
  for (auto& r : readers) r.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GE(answers.load(), kOrigins);
}

}  // namespace
}  // namespace corsd::http
