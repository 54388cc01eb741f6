#include "service/store/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "service/store/sqlite_internal.h"

namespace corsd::store {
namespace {

using sqlite_internal::ColumnView;
using sqlite_internal::Exec;
using sqlite_internal::PrepareOrNull;
using sqlite_internal::SortForWriting;
using sqlite_internal::StepError;

constexpr int kApplicationId = 0x636f7273;  // "cors"

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

// The tables each format version added (the create statements of a new
// store use the same text).
constexpr char kCreatePending[] =
    "CREATE TABLE pending(revision INTEGER PRIMARY KEY, batch BLOB NOT NULL);";
constexpr char kCreateDomains[] =
    "CREATE TABLE domains(tenant TEXT NOT NULL, host TEXT NOT NULL, "
    "record BLOB NOT NULL, PRIMARY KEY(tenant, host)) WITHOUT ROWID;";

// Format 1 -> 2: the pending table (large batches committed as one row and
// folded into entries in the background). Nothing else changed.
absl::Status MigrateSqliteV1ToV2(sqlite3* db, const std::string& path) {
  return Exec(db, path, kCreatePending);
}

// Format 2 -> 3: the domains table (custom domains and their lifecycle).
absl::Status MigrateSqliteV2ToV3(sqlite3* db, const std::string& path) {
  return Exec(db, path, kCreateDomains);
}

// The step from format version `from` to from + 1, inside the caller's
// transaction.
absl::Status MigrateSqliteFrom(sqlite3* db, const std::string& path, int from) {
  switch (from) {
    case 1:
      return MigrateSqliteV1ToV2(db, path);
    case 2:
      return MigrateSqliteV2ToV3(db, path);
    default:
      return absl::InternalError(
          absl::StrCat("no migration step from version ", from));
  }
}

// Creates the schema in an empty database, or checks an existing one and
// migrates an older format forward.
absl::Status InitSchema(sqlite3* db, const std::string& path,
                        const std::function<void(int)>& after_step) {
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
        "value TEXT NOT NULL, PRIMARY KEY(tenant, kind, value)) WITHOUT ROWID;",
        kCreatePending, kCreateDomains, "INSERT INTO meta VALUES('format','",
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
  if (version < 1 || version > kSqliteFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " has store format version ", version,
        "; this corsd reads versions 1 to ", kSqliteFormatVersion,
        version > kSqliteFormatVersion
            ? ". A newer corsd wrote it: run that release (or newer) on it; "
              "the file was not changed"
            : ""));
  }
  if (version == kSqliteFormatVersion) return absl::OkStatus();
  // Older: every step from `version` on, and the new version number, in one
  // transaction (a crash leaves the file wholly old or wholly new).
  if (absl::Status s = Exec(db, path, "BEGIN IMMEDIATE"); !s.ok()) return s;
  for (int from = static_cast<int>(version); from < kSqliteFormatVersion;
       ++from) {
    if (absl::Status s = MigrateSqliteFrom(db, path, from); !s.ok()) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      return absl::FailedPreconditionError(
          absl::StrCat(path, ": migrating store format version ", from, " to ",
                       from + 1, " failed, nothing changed: ", s.message()));
    }
    if (after_step) after_step(from);
  }
  const std::string set = absl::StrCat(
      "UPDATE meta SET value=", kSqliteFormatVersion, " WHERE key='version'");
  if (absl::Status s = Exec(db, path, set.c_str()); !s.ok()) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return s;
  }
  return Exec(db, path, "COMMIT");
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
        delete_pending_, count_pending_, put_domain_, remove_domain_,
        delete_domains_}) {
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
  if (absl::Status s = InitSchema(db, path, options.after_migration_step);
      !s.ok()) {
    return s;
  }
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
      {&put_domain_,
       "INSERT INTO domains(tenant, host, record) VALUES(?1, ?2, ?3) "
       "ON CONFLICT(tenant, host) DO UPDATE SET record=excluded.record"},
      {&remove_domain_, "DELETE FROM domains WHERE tenant=?1 AND host=?2"},
      {&delete_domains_, "DELETE FROM domains WHERE tenant=?1"},
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

absl::StatusOr<uint64_t> SqliteStore::Commit(const Batch& batch,
                                             uint64_t base_revision) {
  // Encoding a large batch (about 0.1 s for a million rows) happens before
  // the lock is taken.
  // Too big for one pending row (SQLite caps a blob at 1 GB, and the fold
  // holds the whole row in memory): written directly, as small batches are.
  const bool too_big = EncodedSizeBound(batch) > options_.max_pending_bytes;
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
      order.push_back({m.type, m.kind, m.tenant, m.value, m.data});
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
      // Wait for the folder to empty `pending`, or for one of its attempts
      // made after this call began to fail.
      const uint64_t attempts = fold_attempts_;
      changed_.wait(lock, [this, attempts] {
        return pending_ == 0 || stop_ ||
               (fold_attempts_ > attempts && !fold_status_.ok());
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
  sqlite3_finalize(stmt);
  stmt = nullptr;
  if (sqlite3_prepare_v2(db,
                         "SELECT tenant, host, record FROM domains "
                         "ORDER BY tenant, host",
                         -1, &stmt, nullptr) != SQLITE_OK) {
    return StepError(db, path_, "reading domains");
  }
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    if (absl::Status s = sink.OnDomain(ColumnView(stmt, 0), ColumnView(stmt, 1),
                                       ColumnView(stmt, 2));
        !s.ok()) {
      return s;
    }
  }
  if (rc != SQLITE_DONE) return StepError(db, path_, "reading domains");
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
