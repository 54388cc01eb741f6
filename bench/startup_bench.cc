// bench_store: how fast the store gets data in (Catalog import, end to end
// minus gRPC) and back out at startup (Catalog::Open: Store::Load + table
// BulkLoad + policy registry), for the embedded SQLite store or PostgreSQL.
//
//   bench_store --store=sqlite --dir=DIR --size=N [--tenants=T]
//   bench_store --store=postgres://... --size=N
//
// Seeds N origins over T tenants through Catalog import sessions of 1M rows
// (each one all-or-nothing write), then reopens the store into fresh tables
// and times it. Prints one flat JSON object on stdout (keys suffixed with
// the store kind: embedded / postgres), progress on stderr.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "service/policy/policy_registry.h"
#include "service/store/catalog.h"
#include "service/store/store.h"

namespace corsd::store {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// CPU seconds used by the process so far (all threads, user + system): on a
// shared machine the wall time includes waiting for a core.
double CpuSeconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec +
         (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct Flags {
  std::string store = "sqlite";
  std::string dir;
  uint64_t size = 1000000;
  uint64_t tenants = 1000;
  bool load_only = false;  // the store is seeded already: time startup only
};

bool ParseFlags(int argc, char** argv, Flags* f) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view a = argv[i];
    auto value = [&](absl::string_view name, absl::string_view* v) {
      if (!absl::StartsWith(a, name)) return false;
      *v = a.substr(name.size());
      return true;
    };
    absl::string_view v;
    if (value("--store=", &v)) {
      f->store = std::string(v);
    } else if (value("--dir=", &v)) {
      f->dir = std::string(v);
    } else if (value("--size=", &v)) {
      if (!absl::SimpleAtoi(v, &f->size)) return false;
    } else if (a == "--load-only") {
      f->load_only = true;
    } else if (value("--tenants=", &v)) {
      if (!absl::SimpleAtoi(v, &f->tenants) || f->tenants == 0) return false;
    } else {
      return false;
    }
  }
  return true;
}

absl::StatusOr<std::unique_ptr<Store>> Open(const Flags& f) {
  return OpenStore(f.store == "sqlite" ? "" : f.store, f.dir);
}

struct Node {
  Node() : table(&epochs), registry(&epochs) {}
  table::EpochManager epochs;
  table::OriginTable table;
  policy::PolicyRegistry registry;
};

int Main(int argc, char** argv) {
  Flags f;
  if (!ParseFlags(argc, argv, &f)) {
    std::fprintf(stderr,
                 "usage: bench_store --store=sqlite|postgres://... "
                 "[--dir=DIR] [--size=N] [--tenants=T]\n");
    return 2;
  }
  const std::string kind = f.store == "sqlite" ? "embedded" : "postgres";
  double import_s = 0, validate_s = 0;
  uint64_t import_rows = 0;
  if (!f.load_only) {
    auto store = Open(f);
    if (!store.ok()) {
      std::fprintf(stderr, "bench_store: %s\n",
                   store.status().ToString().c_str());
      return 1;
    }
    Node node;
    auto catalog = Catalog::Open(*std::move(store), &node.epochs, &node.table,
                                 &node.registry);
    if (!catalog.ok()) {
      std::fprintf(stderr, "bench_store: %s\n",
                   catalog.status().ToString().c_str());
      return 1;
    }
    // Phase 1: up to 1M rows through Catalog import sessions (validation,
    // one store transaction, table apply): the import throughput.
    constexpr uint64_t kSession = 1000000;
    constexpr uint64_t kChunk = 100000;
    import_rows = std::min<uint64_t>(f.size, kSession);
    uint64_t row = 0;
    {
      auto session = (*catalog)->BeginImport();
      const auto started = Clock::now();
      v1::ImportChunk tenants;
      for (uint64_t t = 0; t < f.tenants; ++t) {
        tenants.add_tenants()->set_id(absl::StrCat("tenant-", t));
      }
      if (absl::Status st = session->Add(tenants); !st.ok()) {
        std::fprintf(stderr, "bench_store: tenants: %s\n",
                     st.ToString().c_str());
        return 1;
      }
      while (row < import_rows) {
        v1::ImportChunk chunk;
        for (uint64_t i = 0; i < kChunk && row < import_rows; ++i, ++row) {
          v1::EntryOp* op = chunk.add_ops();
          op->set_op(v1::EntryOp::OP_ADD);
          op->set_kind(v1::ENTRY_KIND_ORIGIN);
          op->set_tenant(absl::StrCat("tenant-", row % f.tenants));
          op->set_value(absl::StrCat("https://App", row, ".Customer",
                                     row % 9973, ".example.com:443"));
        }
        const auto add_started = Clock::now();
        if (absl::Status st = session->Add(chunk); !st.ok()) {
          std::fprintf(stderr, "bench_store: import: %s\n",
                       st.ToString().c_str());
          return 1;
        }
        validate_s += Seconds(add_started);
      }
      auto committed = session->Commit();
      if (!committed.ok()) {
        std::fprintf(stderr, "bench_store: commit: %s\n",
                     committed.status().ToString().c_str());
        return 1;
      }
      import_s = Seconds(started);
      std::fprintf(stderr, "bench_store: imported %llu rows in %.2f s\n",
                   static_cast<unsigned long long>(row), import_s);
    }
    catalog->reset();  // releases the store
    // Phase 2: the rest straight into the store, canonical and in key order
    // (seeding only; not measured).
    if (row < f.size) {
      auto seed_store = Open(f);
      if (!seed_store.ok()) return 1;
      auto revision = (*seed_store)->Revision();
      if (!revision.ok()) return 1;
      std::vector<std::string> names;
      for (uint64_t t = 0; t < f.tenants; ++t) {
        names.push_back(absl::StrCat("tenant-", t));
      }
      std::sort(names.begin(), names.end());
      const uint64_t rest = f.size - row;
      const uint64_t per_tenant = (rest + f.tenants - 1) / f.tenants;
      Batch batch;
      uint64_t seeded = 0;
      for (uint64_t t = 0; t < f.tenants && seeded < rest; ++t) {
        for (uint64_t i = 0; i < per_tenant && seeded < rest; ++i, ++seeded) {
          char value[64];
          // One host per tenant (a customer domain belongs to one tenant).
          std::snprintf(value, sizeof(value), "https://s%09llu.%s.example.com",
                        static_cast<unsigned long long>(i), names[t].c_str());
          batch.push_back({Mutation::Type::kAddEntry, EntryKind::kOrigin,
                           names[t], value, ""});
          if (batch.size() == kSession) {
            auto r = (*seed_store)->Commit(batch, *revision);
            if (!r.ok()) {
              std::fprintf(stderr, "bench_store: seed: %s\n",
                           r.status().ToString().c_str());
              return 1;
            }
            *revision = *r;
            batch.clear();
            std::fprintf(stderr, "bench_store: seeded %llu rows\n",
                         static_cast<unsigned long long>(row + seeded + 1));
          }
        }
      }
      if (!batch.empty() && !(*seed_store)->Commit(batch, *revision).ok()) {
        return 1;
      }
    }
  }
  // Large imports sit in the SQLite store's pending table until folded in
  // the background; a seeding process that exits leaves them there, and the
  // next Open folds them. Startup is timed on a settled store: open it once
  // (folding, not measured) first.
  if (!f.load_only && !Open(f).ok()) return 1;
  // Startup: a fresh process state loads everything.
  Node node;
  const auto load_started = Clock::now();
  const double cpu_started = CpuSeconds();
  auto store = Open(f);
  if (!store.ok()) return 1;
  auto catalog = Catalog::Open(*std::move(store), &node.epochs, &node.table,
                               &node.registry);
  const double startup_s = Seconds(load_started);
  const double startup_cpu_s = CpuSeconds() - cpu_started;
  if (!catalog.ok()) {
    std::fprintf(stderr, "bench_store: reopen: %s\n",
                 catalog.status().ToString().c_str());
    return 1;
  }
  const uint64_t loaded = (*catalog)->Stats().origins();
  if (loaded != f.size) {
    std::fprintf(stderr, "bench_store: loaded %llu origins, expected %llu\n",
                 static_cast<unsigned long long>(loaded),
                 static_cast<unsigned long long>(f.size));
    return 1;
  }
  // Store::Load alone (no table), to split the startup time.
  struct Count final : LoadSink {
    absl::Status OnTenant(absl::string_view, absl::string_view) override {
      return absl::OkStatus();
    }
    absl::Status OnEntry(absl::string_view, EntryKind,
                         absl::string_view v) override {
      bytes += v.size();
      return absl::OkStatus();
    }
    absl::Status OnDomain(absl::string_view, absl::string_view,
                          absl::string_view r) override {
      bytes += r.size();
      return absl::OkStatus();
    }
    uint64_t bytes = 0;
  } count;
  auto raw = Open(f);
  const auto raw_started = Clock::now();
  // SQLite allows one process per data dir: release the catalog's lock.
  catalog->reset();
  if (!raw.ok()) raw = Open(f);
  double store_load_s = -1;
  if (raw.ok() && (*raw)->Load(count).ok()) store_load_s = Seconds(raw_started);
  std::printf(
      "{\"startup_s_%s\": %.3f, \"startup_cpu_s_%s\": %.3f, "
      "\"store_load_s_%s\": %.3f, "
      "\"import_rows_per_s_%s\": %.0f, \"import_validate_us_per_row_%s\": "
      "%.3f, \"startup_rows_%s\": %llu}\n",
      kind.c_str(), startup_s, kind.c_str(), startup_cpu_s, kind.c_str(),
      store_load_s, kind.c_str(), import_rows ? import_rows / import_s : 0.0,
      kind.c_str(), import_rows ? validate_s * 1e6 / import_rows : 0.0,
      kind.c_str(), static_cast<unsigned long long>(f.size));
  return 0;
}

}  // namespace
}  // namespace corsd::store

int main(int argc, char** argv) { return corsd::store::Main(argc, argv); }
