// Helpers for the store tests: a temporary directory removed at scope exit,
// and a LoadSink that collects a Load into strings. Test-only; header-only;
// needs nothing beyond the store backends (so it builds without gRPC).
#ifndef CORSD_SERVICE_STORE_TESTING_STORE_TEST_UTIL_H_
#define CORSD_SERVICE_STORE_TESTING_STORE_TEST_UTIL_H_

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "service/store/store.h"

namespace corsd::store::testing {

// A fresh directory under /tmp, removed with everything in it on
// destruction.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/corsd_store_test.XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Collects a Load: tenants as "id=policy", entries as "tenant/kind/value",
// domains as "tenant/host=record", in the order the store streams them.
class Collect final : public LoadSink {
 public:
  absl::Status OnTenant(absl::string_view id,
                        absl::string_view policy) override {
    tenants.push_back(absl::StrCat(id, "=", policy));
    return absl::OkStatus();
  }
  absl::Status OnEntry(absl::string_view tenant, EntryKind kind,
                       absl::string_view value) override {
    entries.push_back(
        absl::StrCat(tenant, "/", EntryKindName(kind), "/", value));
    return absl::OkStatus();
  }
  absl::Status OnDomain(absl::string_view tenant, absl::string_view host,
                        absl::string_view record) override {
    domains.push_back(absl::StrCat(tenant, "/", host, "=", record));
    return absl::OkStatus();
  }

  std::vector<std::string> tenants;
  std::vector<std::string> entries;
  // "tenant/host=record bytes".
  std::vector<std::string> domains;
};

}  // namespace corsd::store::testing

#endif  // CORSD_SERVICE_STORE_TESTING_STORE_TEST_UTIL_H_
