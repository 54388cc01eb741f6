// SqliteStore: the embedded default Store, one SQLite file (corsd.db) in
// corsd's --data-dir. WAL journal with synchronous=FULL, so a committed batch
// is fsync'd before Commit returns and survives a crash or power cut; each
// batch is one transaction (all-or-nothing). Why SQLite: see README.md.
//
// Schema (format "corsd-store", version 2; PRAGMA application_id 'cors'):
//   meta(key TEXT PRIMARY KEY, value)     -- format, version, revision
//   tenants(id TEXT PRIMARY KEY, policy BLOB)
//   entries(tenant TEXT, kind INTEGER, value TEXT,
//           PRIMARY KEY(tenant, kind, value)) WITHOUT ROWID
//   pending(revision INTEGER PRIMARY KEY, batch BLOB)  -- EncodeBatch bytes
// Version 1 (no pending table) is upgraded in place at open.
//
// Large batches (an import of a million rows) are committed as one row of
// `pending`: the encoded batch, written sequentially and fsync'd with the
// revision, so Commit costs a sequential write instead of a B-tree insert
// per row. A background thread then folds pending batches into `entries`,
// oldest first, in slices (one transaction each, so other commits are not
// held off for the whole fold); the row leaves `pending` in the transaction
// that writes its last slice. While any batch is pending, every commit is
// appended to `pending` too, so `entries` + `pending` replayed in revision
// order is always the store's state. A crash mid-fold leaves part of a batch
// in `entries`; replaying the whole batch over it gives the same result,
// because every mutation sets a key (or a tenant's keys) to a value: the last
// mutation of a key wins however often earlier ones ran. Open folds what a
// crash left pending before it returns; Load waits for the fold.
//
// Thread safety / invariants: all methods are thread-safe. Commits and fold
// slices are serialized by an internal mutex (mu_) on one connection; Load
// reads through its own connection, a consistent WAL snapshot taken while
// nothing is pending, concurrently with commits. `pending_` counts the rows
// of `pending` (guarded by mu_); while it is non-zero no commit writes
// `entries` directly. One process per data dir: Open takes an exclusive lock
// (flock on corsd.db.lock) held until destruction.
#ifndef CORSD_SERVICE_STORE_SQLITE_STORE_H_
#define CORSD_SERVICE_STORE_SQLITE_STORE_H_

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/store/store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace corsd::store {

// The format name and version this build reads and writes (README.md has
// the history: 1 tenants+entries, 2 +pending, 3 +domains).
inline constexpr absl::string_view kSqliteFormat = "corsd-store";
inline constexpr int kSqliteFormatVersion = 3;
// The file name inside the data dir.
inline constexpr absl::string_view kSqliteFileName = "corsd.db";

// Tuning of the pending-batch path; the defaults are what corsd uses.
struct SqliteStoreOptions {
  // Batches of at least this many mutations are committed to `pending` and
  // folded in the background; smaller ones go straight to `entries` (unless
  // something is pending).
  size_t fold_threshold = 10000;
  // Mutations per fold transaction: bounds how long a fold holds off other
  // commits (about 2 us per mutation).
  size_t fold_slice = 25000;
  // Batches whose encoding would exceed this (about 5M rows) are written
  // straight to `entries` (after folding whatever is pending).
  size_t max_pending_bytes = size_t{256} << 20;
  // False: no background thread; pending batches are folded only by Open and
  // Load (tests use this to look at a store with batches pending).
  bool background_fold = true;
  // Test hook: called inside the migration transaction after each step
  // (with the version it migrated from), so a test can kill the process
  // mid-migration. Null in corsd.
  std::function<void(int from)> after_migration_step;
};

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
  // Each message names the path and what was expected. Batches a crash left
  // pending are folded into `entries` before Open returns (errors as Load).
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(
      absl::string_view data_dir, SqliteStoreOptions options = {});

  // Stops the background fold between two slices (what is left stays
  // pending, folded by the next Open) and closes the file.
  ~SqliteStore() override;

  std::string Describe() const override;
  // Waits until no batch is pending (the fold finished, or failed: then its
  // error), then streams a snapshot.
  absl::StatusOr<uint64_t> Load(LoadSink& sink) override;
  absl::StatusOr<uint64_t> Revision() override;
  // Durable when it returns either way: a batch of fold_threshold mutations
  // or more (or any batch while one is pending) is stored in `pending`.
  absl::StatusOr<uint64_t> Commit(const Batch& batch,
                                  uint64_t base_revision) override;
  bool Shared() const override { return false; }
  absl::StatusOr<std::vector<Change>> ChangesSince(uint64_t revision,
                                                   size_t limit) override;
  absl::Status WaitForChange(int timeout_ms) override;

 private:
  SqliteStore(std::string path, int lock_fd, sqlite3* db,
              SqliteStoreOptions options);
  absl::Status Prepare();
  absl::StatusOr<uint64_t> ReadRevisionLocked()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes `order` (mutations of one batch, in write order) to `entries`.
  absl::Status WriteEntriesLocked(const std::vector<MutationView>& order,
                                  size_t begin, size_t end)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Folds the oldest pending batch. `yield` (the caller's lock on mu_, or
  // null): released while decoding and between slices; the fold stops early
  // (leaving the batch pending) once stop_ is set.
  absl::Status FoldOldestLocked(std::unique_lock<std::mutex>* yield)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Folds until nothing is pending (Open, and Load without a folder thread).
  absl::Status FoldAllLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The background thread's loop.
  void FoldLoop();

  const std::string path_;
  const int lock_fd_;
  const SqliteStoreOptions options_;
  // std::mutex rather than absl::Mutex: ThreadSanitizer sees through it
  // (Debian's absl is not instrumented).
  std::mutex mu_;
  // Signalled when pending_, fold_status_, fold_attempts_ or stop_ change.
  std::condition_variable changed_;
  // Rows in `pending`; while > 0, commits append there.
  size_t pending_ ABSL_GUARDED_BY(mu_) = 0;
  // The last fold attempt's outcome (retried every second while failing).
  absl::Status fold_status_ ABSL_GUARDED_BY(mu_);
  // Fold attempts so far (Load waits for one made after it began).
  uint64_t fold_attempts_ ABSL_GUARDED_BY(mu_) = 0;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread folder_;
  sqlite3* const db_ ABSL_GUARDED_BY(mu_);
  // Prepared statements on db_, owned (finalized in the destructor).
  sqlite3_stmt* put_tenant_ ABSL_GUARDED_BY(mu_) = nullptr;
  sqlite3_stmt* delete_tenant_ ABSL_GUARDED_BY(mu_) = nullptr;
  sqlite3_stmt* delete_entries_ ABSL_GUARDED_BY(mu_) = nullptr;
  sqlite3_stmt* add_entry_ ABSL_GUARDED_BY(mu_) = nullptr;
  sqlite3_stmt* remove_entry_ ABSL_GUARDED_BY(mu_) = nullptr;
  sqlite3_stmt* get_revision_ ABSL_GUARDED_BY(mu_) = nullptr;
  sqlite3_stmt* set_revision_ ABSL_GUARDED_BY(mu_) = nullptr;
  sqlite3_stmt* add_pending_ ABSL_GUARDED_BY(mu_) = nullptr;
  sqlite3_stmt* oldest_pending_ ABSL_GUARDED_BY(mu_) = nullptr;
  sqlite3_stmt* delete_pending_ ABSL_GUARDED_BY(mu_) = nullptr;
  sqlite3_stmt* count_pending_ ABSL_GUARDED_BY(mu_) = nullptr;
  sqlite3_stmt* put_domain_ ABSL_GUARDED_BY(mu_) = nullptr;
  sqlite3_stmt* remove_domain_ ABSL_GUARDED_BY(mu_) = nullptr;
  sqlite3_stmt* delete_domains_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace corsd::store

#endif  // CORSD_SERVICE_STORE_SQLITE_STORE_H_
