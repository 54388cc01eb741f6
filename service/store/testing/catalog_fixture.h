// Test fixture for the Catalog tests: a temporary directory, a Store that
// fails commits on demand, a "node" (table, registry and catalog over SQLite)
// and request builders. Test-only; header-only.
#ifndef CORSD_SERVICE_STORE_TESTING_CATALOG_FIXTURE_H_
#define CORSD_SERVICE_STORE_TESTING_CATALOG_FIXTURE_H_

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "service/policy/policy_registry.h"
#include "service/store/catalog.h"
#include "service/store/dump_file.h"
#include "service/store/sqlite_store.h"
#include "service/store/testing/store_test_util.h"

namespace corsd::store::testing {

using ::corsd::v1::EntryOp;

// Wraps a store; fails Commit on demand (after the inner store did nothing).
class FailingStore final : public Store {
 public:
  explicit FailingStore(std::unique_ptr<Store> inner)
      : inner_(std::move(inner)) {}
  std::string Describe() const override { return inner_->Describe(); }
  absl::StatusOr<uint64_t> Load(LoadSink& sink) override {
    return inner_->Load(sink);
  }
  absl::StatusOr<uint64_t> Revision() override { return inner_->Revision(); }
  absl::StatusOr<uint64_t> Commit(const Batch& batch, uint64_t base) override {
    if (fail) return absl::UnavailableError("injected: disk unavailable");
    return inner_->Commit(batch, base);
  }
  bool Shared() const override { return false; }
  absl::StatusOr<std::vector<Change>> ChangesSince(uint64_t r,
                                                   size_t n) override {
    return inner_->ChangesSince(r, n);
  }
  absl::Status WaitForChange(int ms) override {
    return inner_->WaitForChange(ms);
  }
  bool fail = false;

 private:
  std::unique_ptr<Store> inner_;
};

// One node: table, registry and catalog over the SQLite store in `dir`.
struct Node {
  explicit Node(const std::string& dir, bool failing = false,
                CatalogOptions options = {})
      : table(&epochs), registry(&epochs) {
    auto store = SqliteStore::Open(dir);
    EXPECT_TRUE(store.ok()) << store.status();
    std::unique_ptr<Store> s = std::move(*store);
    if (failing) {
      auto f = std::make_unique<FailingStore>(std::move(s));
      failer = f.get();
      s = std::move(f);
    }
    auto c = Catalog::Open(std::move(s), &epochs, &table, &registry,
                           std::move(options));
    EXPECT_TRUE(c.ok()) << c.status();
    if (c.ok()) catalog = *std::move(c);
  }
  table::EpochManager epochs;
  table::OriginTable table;
  policy::PolicyRegistry registry;
  std::unique_ptr<Catalog> catalog;
  FailingStore* failer = nullptr;
};

inline v1::PutTenantRequest PutReq(const std::string& id,
                                   bool production = false) {
  v1::PutTenantRequest req;
  req.mutable_tenant()->set_id(id);
  req.mutable_tenant()->mutable_policy()->add_allowed_methods("PATCH");
  req.mutable_tenant()->mutable_policy()->set_production(production);
  return req;
}

inline EntryOp Op(EntryOp::Op op, v1::EntryKind kind, const std::string& tenant,
                  const std::string& value) {
  EntryOp e;
  e.set_op(op);
  e.set_kind(kind);
  e.set_tenant(tenant);
  e.set_value(value);
  return e;
}
inline EntryOp AddOrigin(const std::string& t, const std::string& v) {
  return Op(EntryOp::OP_ADD, v1::ENTRY_KIND_ORIGIN, t, v);
}

// Everything the catalog holds, as a dump file.
inline std::string Dump(Catalog& catalog) {
  std::ostringstream out;
  DumpWriter writer(&out);
  absl::Status s = catalog.Export([&](const v1::ExportChunk& chunk) {
    EXPECT_TRUE(writer.WriteExportChunk(chunk).ok());
    return true;
  });
  EXPECT_TRUE(s.ok()) << s;
  return out.str();
}

inline std::vector<std::string> Origins(Catalog& catalog,
                                        const std::string& tenant) {
  v1::ListEntriesRequest req;
  req.set_tenant(tenant);
  req.set_kind(v1::ENTRY_KIND_ORIGIN);
  auto resp = catalog.ListEntries(req);
  EXPECT_TRUE(resp.ok()) << resp.status();
  return {resp->values().begin(), resp->values().end()};
}

}  // namespace corsd::store::testing

#endif  // CORSD_SERVICE_STORE_TESTING_CATALOG_FIXTURE_H_
