// SqliteStore: the embedded default Store, one SQLite file (corsd.db) in
// corsd's --data-dir. WAL journal with synchronous=FULL, so a committed batch
// is fsync'd before Commit returns and survives a crash or power cut; each
// batch is one transaction (all-or-nothing). Why SQLite: see README.md.
//
// Schema (format "corsd-store", version 1; PRAGMA application_id 'cors'):
//   meta(key TEXT PRIMARY KEY, value)     -- format, version, revision
//   tenants(id TEXT PRIMARY KEY, policy BLOB)
//   entries(tenant TEXT, kind INTEGER, value TEXT,
//           PRIMARY KEY(tenant, kind, value)) WITHOUT ROWID
//
// Thread safety: all methods are thread-safe. Commit calls are serialized by
// an internal mutex; Load reads through its own connection, a consistent WAL
// snapshot, concurrently with commits. One process per data dir: Open takes
// an exclusive lock (flock on corsd.db.lock) held until destruction.
#ifndef CORSD_SERVICE_STORE_SQLITE_STORE_H_
#define CORSD_SERVICE_STORE_SQLITE_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "service/store/store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace corsd::store {

// The format name and version this build reads and writes.
inline constexpr absl::string_view kSqliteFormat = "corsd-store";
inline constexpr int kSqliteFormatVersion = 1;
// The file name inside the data dir.
inline constexpr absl::string_view kSqliteFileName = "corsd.db";

class SqliteStore final : public Store {
 public:
  // Opens (creating if absent, and creating `data_dir` if absent)
  // `data_dir`/corsd.db. Errors, nothing opened:
  //   FailedPrecondition: the file is not a SQLite database, or is one
  //     without corsd's meta table (a foreign file), or has another format
  //     name, or a newer format version; the data dir is locked by another
  //     process.
  //   DataLoss: SQLite reports the file corrupt.
  //   Internal / PermissionDenied: the directory or file cannot be created.
  // Each message names the path and what was expected.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(
      absl::string_view data_dir);

  ~SqliteStore() override;

  std::string Describe() const override;
  absl::StatusOr<uint64_t> Load(LoadSink& sink) override;
  absl::StatusOr<uint64_t> Revision() override;
  absl::StatusOr<uint64_t> Commit(const Batch& batch,
                                  uint64_t base_revision) override;
  bool Shared() const override { return false; }
  absl::StatusOr<std::vector<Change>> ChangesSince(uint64_t revision,
                                                   size_t limit) override;
  absl::Status WaitForChange(int timeout_ms) override;

 private:
  SqliteStore(std::string path, int lock_fd, sqlite3* db);
  absl::Status Prepare();
  absl::StatusOr<uint64_t> ReadRevisionLocked()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ApplyLocked(const Batch& batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  const int lock_fd_;
  absl::Mutex mu_;
  sqlite3* const db_ ABSL_GUARDED_BY(mu_);
  // Prepared statements on db_, owned (finalized in the destructor).
  sqlite3_stmt* put_tenant_ ABSL_GUARDED_BY(mu_) = nullptr;
  sqlite3_stmt* delete_tenant_ ABSL_GUARDED_BY(mu_) = nullptr;
  sqlite3_stmt* delete_entries_ ABSL_GUARDED_BY(mu_) = nullptr;
  sqlite3_stmt* add_entry_ ABSL_GUARDED_BY(mu_) = nullptr;
  sqlite3_stmt* remove_entry_ ABSL_GUARDED_BY(mu_) = nullptr;
  sqlite3_stmt* get_revision_ ABSL_GUARDED_BY(mu_) = nullptr;
  sqlite3_stmt* set_revision_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace corsd::store

#endif  // CORSD_SERVICE_STORE_SQLITE_STORE_H_
