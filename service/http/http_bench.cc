// Round trip of one forward-auth decision over loopback HTTP/1.1 keep-alive
// (what nginx's auth_request costs on the corsd side), against the real
// engine and a table of 100000 origins.
//   BM_HttpAuth/threads:N   one GET /auth per iteration per client thread
//   BM_HttpMetrics          one GET /metrics
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "httplib.h"
#include "service/decision/engine.h"
#include "service/decision/metrics.h"
#include "service/http/http_server.h"
#include "service/policy/policy.h"
#include "service/policy/policy_registry.h"
#include "service/table/epoch.h"
#include "service/table/origin_table.h"

namespace corsd::http {
namespace {

struct Fixture {
  table::EpochManager epochs;
  table::OriginTable table{&epochs};
  policy::PolicyRegistry registry{&epochs};
  decision::Engine engine{&table, &registry};
  decision::DecisionMetrics metrics;
  std::unique_ptr<HttpServer> server;

  Fixture() {
    std::vector<table::Op> ops = {
        {table::Op::Kind::kAddTenant, "acme", ""},
        {table::Op::Kind::kAddApiHost, "acme", "api.acme.com"}};
    for (int i = 0; i < 100000; ++i) {
      ops.push_back({table::Op::Kind::kAddOrigin, "acme",
                     absl::StrCat("https://shop", i, ".customer.com")});
    }
    if (!table.BulkLoad(ops).ok()) std::abort();
    policy::Policy p;
    p.allowed_methods = {"GET", "PUT"};
    p.exposed_headers = {"x-request-id"};
    p.allow_credentials = true;
    table::TenantId id;
    {
      table::EpochManager::ReadGuard guard(&epochs);
      id = table.FindTenant("acme");
    }
    if (!registry.Set(id, *policy::Validate(p)).ok()) std::abort();
    HttpServerOptions options;
    options.threads = 8;
    server = *HttpServer::Start(options, {.engine = &engine,
                                          .table = &table,
                                          .epochs = &epochs,
                                          .metrics = &metrics});
  }
};

Fixture& Shared() {
  static Fixture* f = new Fixture();
  return *f;
}

void BM_HttpAuth(benchmark::State& state) {
  Fixture& f = Shared();
  httplib::Client client("127.0.0.1", f.server->port());
  client.set_keep_alive(true);
  const httplib::Headers headers = {
      {"X-Original-Method", "GET"},
      {"X-Original-URI", "/v1/items"},
      {"X-Original-Host", "api.acme.com"},
      {"Origin", absl::StrCat("https://shop", 4242 + state.thread_index(),
                              ".customer.com")}};
  int64_t failures = 0;
  for (auto _ : state) {
    auto res = client.Get("/auth", headers);
    if (!res || res->status != 200) ++failures;
    benchmark::DoNotOptimize(res);
  }
  state.counters["failures"] = static_cast<double>(failures);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HttpAuth)->ThreadRange(1, 4)->UseRealTime();

void BM_HttpMetrics(benchmark::State& state) {
  Fixture& f = Shared();
  httplib::Client client("127.0.0.1", f.server->port());
  client.set_keep_alive(true);
  for (auto _ : state) {
    auto res = client.Get("/metrics");
    benchmark::DoNotOptimize(res);
  }
}
BENCHMARK(BM_HttpMetrics);

}  // namespace
}  // namespace corsd::http

BENCHMARK_MAIN();
