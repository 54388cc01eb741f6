#include "service/store/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace corsd::store {
namespace {

constexpr int kApplicationId = 0x636f7273;  // "cors"

// Executes SQL without results on `db`; the error names `path` and the step.
absl::Status Exec(sqlite3* db, const std::string& path, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    const int code = sqlite3_extended_errcode(db);
    std::string msg = absl::StrCat("sqlite ", path, ": \"", sql,
                                   "\" failed: ", err ? err : "?");
    sqlite3_free(err);
    if ((code & 0xff) == SQLITE_CORRUPT || (code & 0xff) == SQLITE_NOTADB) {
      return absl::DataLossError(msg);
    }
    return absl::InternalError(msg);
  }
  return absl::OkStatus();
}

absl::Status StepError(sqlite3* db, const std::string& path,
                       absl::string_view what) {
  const int code = sqlite3_extended_errcode(db);
  std::string msg =
      absl::StrCat("sqlite ", path, ": ", what, ": ", sqlite3_errmsg(db));
  if ((code & 0xff) == SQLITE_CORRUPT || (code & 0xff) == SQLITE_NOTADB) {
    return absl::DataLossError(msg);
  }
  return absl::InternalError(msg);
}

sqlite3_stmt* PrepareOrNull(sqlite3* db, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt,
                         nullptr) != SQLITE_OK) {
    return nullptr;
  }
  return stmt;
}

void BindText(sqlite3_stmt* stmt, int index, absl::string_view text) {
  sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()),
                    SQLITE_STATIC);
}

absl::string_view ColumnView(sqlite3_stmt* stmt, int col) {
  const void* data = sqlite3_column_blob(stmt, col);
  const int size = sqlite3_column_bytes(stmt, col);
  if (data == nullptr) return absl::string_view();
  return absl::string_view(static_cast<const char*>(data), size);
}

// Reads the first 16 bytes of an existing file: SQLite files start with
// "SQLite format 3\0". An empty file is a new database.
absl::Status CheckHeader(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return absl::PermissionDeniedError(
        absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  char header[16] = {};
  const ssize_t n = ::read(fd, header, sizeof(header));
  ::close(fd);
  if (n == 0) return absl::OkStatus();
  if (n != 16 || std::memcmp(header, "SQLite format 3", 16) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        path,
        " is not a corsd store: expected a SQLite database file (header "
        "\"SQLite format 3\"); refusing to start rather than overwrite it"));
  }
  return absl::OkStatus();
}

// Creates the schema in an empty database, or checks an existing one.
absl::Status InitSchema(sqlite3* db, const std::string& path) {
  sqlite3_stmt* stmt = nullptr;
  // Does the database have any table at all?
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &stmt,
                         nullptr) != SQLITE_OK) {
    return StepError(db, path, "reading the schema");
  }
  int rc = sqlite3_step(stmt);
  const int64_t objects = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW) return StepError(db, path, "reading the schema");
  if (objects == 0) {
    const std::string create = absl::StrCat(
        "BEGIN IMMEDIATE;"
        "PRAGMA application_id=",
        kApplicationId,
        ";"
        "CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
        "CREATE TABLE tenants(id TEXT PRIMARY KEY, policy BLOB NOT NULL) "
        "WITHOUT ROWID;"
        "CREATE TABLE entries(tenant TEXT NOT NULL, kind INTEGER NOT NULL, "
        "value TEXT NOT NULL, PRIMARY KEY(tenant, kind, value)) WITHOUT ROWID;"
        "CREATE TABLE pending(revision INTEGER PRIMARY KEY, batch BLOB NOT "
        "NULL);"
        "INSERT INTO meta VALUES('format','",
        kSqliteFormat, "'),('version',", kSqliteFormatVersion,
        "),('revision',0);"
        "COMMIT;");
    return Exec(db, path, create.c_str());
  }
  std::string format;
  int64_t version = -1;
  if (sqlite3_prepare_v2(db,
                         "SELECT key, value FROM meta WHERE key IN "
                         "('format','version')",
                         -1, &stmt, nullptr) != SQLITE_OK) {
    const int code = sqlite3_extended_errcode(db) & 0xff;
    if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) {
      return StepError(db, path, "reading the meta table");
    }
    return absl::FailedPreconditionError(absl::StrCat(
        path,
        " is a SQLite database but not a corsd store: it has no meta table "
        "with format \"",
        kSqliteFormat, "\" (", sqlite3_errmsg(db), ")"));
  }
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    const absl::string_view key = ColumnView(stmt, 0);
    if (key == "format") format = std::string(ColumnView(stmt, 1));
    if (key == "version") version = sqlite3_column_int64(stmt, 1);
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) return StepError(db, path, "reading the meta table");
  if (format != kSqliteFormat) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is not a corsd store: meta format is \"", format,
                     "\", expected \"", kSqliteFormat, "\""));
  }
  if (version == 1) {
    // Version 1 had no pending table; nothing else differs.
    return Exec(db, path,
                "BEGIN IMMEDIATE;"
                "CREATE TABLE pending(revision INTEGER PRIMARY KEY, batch BLOB "
                "NOT NULL);"
                "UPDATE meta SET value=2 WHERE key='version';"
                "COMMIT;");
  }
  if (version != kSqliteFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " has store format version ", version, "; this corsd reads only ",
        kSqliteFormatVersion,
        version > kSqliteFormatVersion ? " (written by a newer corsd)" : ""));
  }
  return absl::OkStatus();
}

absl::StatusOr<sqlite3*> OpenConnection(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = absl::StrCat("cannot open SQLite database ", path, ": ",
                                   db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return absl::InternalError(msg);
  }
  sqlite3_busy_timeout(db, 10000);
  sqlite3_extended_result_codes(db, 1);
  return db;
}

// Puts a batch in the order it is written to `entries`: as given, except
// that each run of consecutive entry adds (or removes), which commute, is
// sorted by primary key, so B-tree inserts land next to each other instead
// of at random pages (about 3x faster for a million rows).
void SortForWriting(std::vector<MutationView>* batch) {
  auto& b = *batch;
  for (size_t i = 0; i < b.size();) {
    const Mutation::Type type = b[i].type;
    size_t j = i;
    while (j < b.size() && b[j].type == type) ++j;
    if (type == Mutation::Type::kAddEntry ||
        type == Mutation::Type::kRemoveEntry) {
      std::sort(b.begin() + i, b.begin() + j,
                [](const MutationView& x, const MutationView& y) {
                  if (int c = x.tenant.compare(y.tenant); c != 0) return c < 0;
                  if (x.kind != y.kind) return x.kind < y.kind;
                  return x.value < y.value;
                });
    }
    i = j;
  }
}

}  // namespace

SqliteStore::SqliteStore(std::string path, int lock_fd, sqlite3* db,
                         SqliteStoreOptions options)
    : path_(std::move(path)),
      lock_fd_(lock_fd),
      options_(std::move(options)),
      db_(db) {}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  if (folder_.joinable()) folder_.join();
  std::lock_guard<std::mutex> lock(mu_);
  for (sqlite3_stmt* s :
       {put_tenant_, delete_tenant_, delete_entries_, add_entry_, remove_entry_,
        get_revision_, set_revision_, add_pending_, oldest_pending_,
        delete_pending_, count_pending_}) {
    sqlite3_finalize(s);
  }
  sqlite3_close(db_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(
    absl::string_view data_dir, SqliteStoreOptions options) {
  const std::string dir(data_dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("--data-dir ", dir, " cannot be created: ", ec.message()));
  }
  const std::string path = absl::StrCat(dir, "/", kSqliteFileName);
  const std::string lock_path = absl::StrCat(path, ".lock");
  const int lock_fd =
      ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        "cannot create lock file ", lock_path, ": ", std::strerror(errno)));
  }
  absl::Cleanup close_lock = [lock_fd] { ::close(lock_fd); };
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--data-dir ", dir, " is in use by another corsd process (", lock_path,
        " is locked); one process per data dir"));
  }
  if (absl::Status s = CheckHeader(path); !s.ok()) return s;
  const bool existed = std::filesystem::exists(path);
  auto db_or = OpenConnection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!db_or.ok()) return db_or.status();
  sqlite3* db = *db_or;
  absl::Cleanup close_db = [db] { sqlite3_close(db); };
  // WAL + synchronous=FULL: a commit fsyncs the WAL before returning.
  if (absl::Status s = Exec(db, path,
                            "PRAGMA page_size=16384;PRAGMA journal_mode=WAL;"
                            "PRAGMA synchronous=FULL;"
                            "PRAGMA cache_size=-262144;"
                            "PRAGMA temp_store=MEMORY;");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = InitSchema(db, path); !s.ok()) return s;
  if (!existed) {
    // Make the new file's directory entry durable too.
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
  }
  std::move(close_db).Cancel();
  std::move(close_lock).Cancel();
  std::unique_ptr<SqliteStore> store(
      new SqliteStore(path, lock_fd, db, std::move(options)));
  if (absl::Status s = store->Prepare(); !s.ok()) return s;
  {
    std::lock_guard<std::mutex> lock(store->mu_);
    if (absl::Status s = store->FoldAllLocked(); !s.ok()) return s;
  }
  if (store->options_.background_fold) {
    store->folder_ = std::thread([s = store.get()] { s->FoldLoop(); });
  }
  return store;
}

absl::Status SqliteStore::Prepare() {
  std::lock_guard<std::mutex> lock(mu_);
  struct {
    sqlite3_stmt** stmt;
    const char* sql;
  } const statements[] = {
      {&put_tenant_,
       "INSERT INTO tenants(id, policy) VALUES(?1, ?2) "
       "ON CONFLICT(id) DO UPDATE SET policy=excluded.policy"},
      {&delete_tenant_, "DELETE FROM tenants WHERE id=?1"},
      {&delete_entries_, "DELETE FROM entries WHERE tenant=?1"},
      {&add_entry_, "INSERT OR IGNORE INTO entries VALUES(?1, ?2, ?3)"},
      {&remove_entry_,
       "DELETE FROM entries WHERE tenant=?1 AND kind=?2 AND value=?3"},
      {&get_revision_, "SELECT value FROM meta WHERE key='revision'"},
      {&set_revision_, "UPDATE meta SET value=?1 WHERE key='revision'"},
      {&add_pending_, "INSERT INTO pending(revision, batch) VALUES(?1, ?2)"},
      {&oldest_pending_,
       "SELECT revision, batch FROM pending ORDER BY revision LIMIT 1"},
      {&delete_pending_, "DELETE FROM pending WHERE revision=?1"},
      {&count_pending_, "SELECT count(*) FROM pending"},
  };
  for (const auto& s : statements) {
    *s.stmt = PrepareOrNull(db_, s.sql);
    if (*s.stmt == nullptr) {
      return StepError(db_, path_, absl::StrCat("preparing \"", s.sql, "\""));
    }
  }
  sqlite3_reset(count_pending_);
  if (sqlite3_step(count_pending_) != SQLITE_ROW) {
    return StepError(db_, path_, "counting pending batches");
  }
  pending_ = static_cast<size_t>(sqlite3_column_int64(count_pending_, 0));
  sqlite3_reset(count_pending_);
  return absl::OkStatus();
}

std::string SqliteStore::Describe() const {
  return absl::StrCat("sqlite:", path_);
}

absl::StatusOr<uint64_t> SqliteStore::ReadRevisionLocked() {
  sqlite3_reset(get_revision_);
  if (sqlite3_step(get_revision_) != SQLITE_ROW) {
    return StepError(db_, path_, "reading the revision");
  }
  const int64_t revision = sqlite3_column_int64(get_revision_, 0);
  sqlite3_reset(get_revision_);
  return static_cast<uint64_t>(revision);
}

absl::StatusOr<uint64_t> SqliteStore::Revision() {
  std::lock_guard<std::mutex> lock(mu_);
  return ReadRevisionLocked();
}

absl::Status SqliteStore::WriteEntriesLocked(
    const std::vector<MutationView>& order, size_t begin, size_t end) {
  for (size_t i = begin; i < end; ++i) {
    const MutationView& m = order[i];
    sqlite3_stmt* stmt = nullptr;
    switch (m.type) {
      case Mutation::Type::kPutTenant:
        stmt = put_tenant_;
        BindText(stmt, 1, m.tenant);
        sqlite3_bind_blob(stmt, 2, m.value.data(),
                          static_cast<int>(m.value.size()), SQLITE_STATIC);
        break;
      case Mutation::Type::kDeleteTenant:
        sqlite3_reset(delete_entries_);
        BindText(delete_entries_, 1, m.tenant);
        if (sqlite3_step(delete_entries_) != SQLITE_DONE) {
          return StepError(db_, path_, "deleting a tenant's entries");
        }
        sqlite3_reset(delete_entries_);
        stmt = delete_tenant_;
        BindText(stmt, 1, m.tenant);
        break;
      case Mutation::Type::kAddEntry:
      case Mutation::Type::kRemoveEntry:
        stmt = m.type == Mutation::Type::kAddEntry ? add_entry_ : remove_entry_;
        BindText(stmt, 1, m.tenant);
        sqlite3_bind_int(stmt, 2, static_cast<int>(m.kind));
        BindText(stmt, 3, m.value);
        break;
    }
    const int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE) return StepError(db_, path_, "writing a batch");
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> SqliteStore::Commit(const Batch& batch,
                                             uint64_t base_revision) {
  // Encoding a large batch (about 0.1 s for a million rows) happens before
  // the lock is taken.
  size_t encoded_size = 16;
  for (const Mutation& m : batch) {
    encoded_size += m.tenant.size() + m.value.size() + 8;
  }
  // Too big for one pending row (SQLite caps a blob at 1 GB, and the fold
  // holds the whole row in memory): written directly, as small batches are.
  const bool too_big = encoded_size > options_.max_pending_bytes;
  std::string encoded;
  if (batch.size() >= options_.fold_threshold && !too_big) {
    encoded = EncodeBatch(batch);
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (too_big && pending_ > 0) {
    // It cannot queue behind what is pending, so that goes first.
    if (absl::Status s = FoldAllLocked(); !s.ok()) return s;
  }
  if (absl::Status s = Exec(db_, path_, "BEGIN IMMEDIATE"); !s.ok()) return s;
  bool committed = false;
  absl::Cleanup rollback = [&] {
    if (!committed) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  };
  auto revision = ReadRevisionLocked();
  if (!revision.ok()) return revision.status();
  if (*revision != base_revision) {
    return absl::AbortedError(
        absl::StrCat("store ", path_, " is at revision ", *revision,
                     ", the write was validated at ", base_revision));
  }
  const bool defer =
      !too_big && (batch.size() >= options_.fold_threshold || pending_ > 0);
  if (defer) {
    if (encoded.empty()) encoded = EncodeBatch(batch);
    sqlite3_reset(add_pending_);
    sqlite3_bind_int64(add_pending_, 1, static_cast<int64_t>(*revision + 1));
    sqlite3_bind_blob64(add_pending_, 2, encoded.data(), encoded.size(),
                        SQLITE_STATIC);
    const int rc = sqlite3_step(add_pending_);
    sqlite3_reset(add_pending_);
    if (rc != SQLITE_DONE) {
      return StepError(db_, path_, "writing a pending batch");
    }
  } else {
    std::vector<MutationView> order;
    order.reserve(batch.size());
    for (const Mutation& m : batch) {
      order.push_back({m.type, m.kind, m.tenant, m.value});
    }
    SortForWriting(&order);
    if (absl::Status s = WriteEntriesLocked(order, 0, order.size()); !s.ok()) {
      return s;
    }
  }
  sqlite3_reset(set_revision_);
  sqlite3_bind_int64(set_revision_, 1, static_cast<int64_t>(*revision + 1));
  const int rc = sqlite3_step(set_revision_);
  sqlite3_reset(set_revision_);
  if (rc != SQLITE_DONE) return StepError(db_, path_, "writing the revision");
  // synchronous=FULL: COMMIT returns after the WAL is fsync'd.
  if (absl::Status s = Exec(db_, path_, "COMMIT"); !s.ok()) return s;
  committed = true;
  if (defer) {
    ++pending_;
    changed_.notify_all();  // wakes FoldLoop
  }
  return *revision + 1;
}

absl::Status SqliteStore::FoldOldestLocked(
    std::unique_lock<std::mutex>* yield) {
  sqlite3_reset(oldest_pending_);
  int rc = sqlite3_step(oldest_pending_);
  if (rc == SQLITE_DONE) {
    sqlite3_reset(oldest_pending_);
    pending_ = 0;
    return absl::OkStatus();
  }
  if (rc != SQLITE_ROW) {
    sqlite3_reset(oldest_pending_);
    return StepError(db_, path_, "reading a pending batch");
  }
  const int64_t revision = sqlite3_column_int64(oldest_pending_, 0);
  std::string bytes(ColumnView(oldest_pending_, 1));
  sqlite3_reset(oldest_pending_);
  if (yield) yield->unlock();
  // Views into `bytes`: no per-row allocation (a million rows would leave
  // the heap fragmented and the RSS up long after the fold).
  absl::StatusOr<std::vector<MutationView>> order = DecodeBatchViews(bytes);
  if (order.ok()) SortForWriting(&*order);
  if (yield) yield->lock();
  if (!order.ok()) {
    return absl::DataLossError(
        absl::StrCat("sqlite ", path_, ": pending batch of revision ", revision,
                     ": ", order.status().message()));
  }
  const absl::Time start = absl::Now();
  const size_t slice = std::max<size_t>(options_.fold_slice, 1);
  for (size_t begin = 0;;) {
    if (yield && stop_) return absl::OkStatus();  // the rest stays pending
    const size_t end = std::min(order->size(), begin + slice);
    const bool last = end == order->size();
    if (absl::Status s = Exec(db_, path_, "BEGIN IMMEDIATE"); !s.ok()) return s;
    bool committed = false;
    absl::Cleanup rollback = [&] {
      if (!committed) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    };
    if (absl::Status s = WriteEntriesLocked(*order, begin, end); !s.ok()) {
      return s;
    }
    if (last) {
      sqlite3_reset(delete_pending_);
      sqlite3_bind_int64(delete_pending_, 1, revision);
      rc = sqlite3_step(delete_pending_);
      sqlite3_reset(delete_pending_);
      if (rc != SQLITE_DONE) {
        return StepError(db_, path_, "removing a folded batch");
      }
    }
    if (absl::Status s = Exec(db_, path_, "COMMIT"); !s.ok()) return s;
    committed = true;
    if (last) break;
    begin = end;
    if (yield) {
      // Lets a waiting Commit in between two slices.
      yield->unlock();
      yield->lock();
    }
  }
  --pending_;
  // The fold filled this connection's page cache (up to cache_size); give
  // it back rather than keep it resident.
  sqlite3_db_release_memory(db_);
  std::fprintf(stderr,
               "corsd: store: folded the batch of revision %lld (%zu "
               "mutations) into entries in %.2f s\n",
               static_cast<long long>(revision), order->size(),
               absl::ToDoubleSeconds(absl::Now() - start));
  return absl::OkStatus();
}

absl::Status SqliteStore::FoldAllLocked() {
  while (pending_ > 0) {
    if (absl::Status s = FoldOldestLocked(nullptr); !s.ok()) return s;
  }
  return absl::OkStatus();
}

void SqliteStore::FoldLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    changed_.wait(lock, [this] { return stop_ || pending_ > 0; });
    if (stop_) return;
    fold_status_ = FoldOldestLocked(&lock);
    changed_.notify_all();  // Load waits for pending_ == 0 or an error
    if (!fold_status_.ok()) {
      std::fprintf(stderr, "corsd: store: folding a pending batch failed: %s\n",
                   std::string(fold_status_.message()).c_str());
      // Retry in a second (or stop).
      changed_.wait_for(lock, std::chrono::seconds(1),
                        [this] { return stop_; });
    }
  }
}

absl::StatusOr<uint64_t> SqliteStore::Load(LoadSink& sink) {
  auto db_or = OpenConnection(path_, SQLITE_OPEN_READONLY);
  if (!db_or.ok()) return db_or.status();
  sqlite3* db = *db_or;
  absl::Cleanup close_db = [db] { sqlite3_close(db); };
  // One read transaction: every SELECT sees the same WAL snapshot, which the
  // first SELECT fixes. It is fixed under mu_ with nothing pending, so the
  // snapshot's `entries` hold every committed batch.
  sqlite3_stmt* stmt = nullptr;
  absl::Cleanup finalize = [&stmt] { sqlite3_finalize(stmt); };
  uint64_t revision = 0;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (options_.background_fold) {
      // The folder sets fold_status_ after every attempt; wait for it to
      // empty `pending`, or for a failed attempt.
      fold_status_ = absl::OkStatus();
      changed_.wait(lock, [this] {
        return pending_ == 0 || stop_ || !fold_status_.ok();
      });
      if (pending_ > 0) {
        return fold_status_.ok()
                   ? absl::UnavailableError("the store is closing")
                   : fold_status_;
      }
    } else if (absl::Status s = FoldAllLocked(); !s.ok()) {
      return s;
    }
    if (absl::Status s = Exec(db, path_, "BEGIN"); !s.ok()) return s;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key='revision'",
                           -1, &stmt, nullptr) != SQLITE_OK ||
        sqlite3_step(stmt) != SQLITE_ROW) {
      return StepError(db, path_, "reading the revision");
    }
    revision = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  stmt = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT id, policy FROM tenants ORDER BY id", -1,
                         &stmt, nullptr) != SQLITE_OK) {
    return StepError(db, path_, "reading tenants");
  }
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    if (absl::Status s =
            sink.OnTenant(ColumnView(stmt, 0), ColumnView(stmt, 1));
        !s.ok()) {
      return s;
    }
  }
  if (rc != SQLITE_DONE) return StepError(db, path_, "reading tenants");
  sqlite3_finalize(stmt);
  stmt = nullptr;
  if (sqlite3_prepare_v2(db,
                         "SELECT tenant, kind, value FROM entries "
                         "ORDER BY tenant, kind, value",
                         -1, &stmt, nullptr) != SQLITE_OK) {
    return StepError(db, path_, "reading entries");
  }
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    const int64_t kind = sqlite3_column_int64(stmt, 1);
    if (kind < 1 || kind > 3) {
      return absl::DataLossError(
          absl::StrCat("sqlite ", path_, ": entry of tenant \"",
                       ColumnView(stmt, 0), "\" has kind ", kind,
                       ", expected 1 (origin), 2 (wildcard) or 3 "
                       "(api_host)"));
    }
    if (absl::Status s =
            sink.OnEntry(ColumnView(stmt, 0), static_cast<EntryKind>(kind),
                         ColumnView(stmt, 2));
        !s.ok()) {
      return s;
    }
  }
  if (rc != SQLITE_DONE) return StepError(db, path_, "reading entries");
  return revision;
}

absl::StatusOr<std::vector<Change>> SqliteStore::ChangesSince(uint64_t,
                                                              size_t) {
  return absl::UnimplementedError(
      "the embedded SQLite store has no change log (it is not shared)");
}

absl::Status SqliteStore::WaitForChange(int) {
  return absl::UnimplementedError(
      "the embedded SQLite store has no change notifications");
}

}  // namespace corsd::store
