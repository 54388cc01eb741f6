// PostgresStore: the shared Store (--store postgres://...), through libpq.
// Any number of corsd replicas share one database: each batch is one
// transaction that also appends the batch to a revisioned change log and
// NOTIFYs channel "corsd_changes"; replicas follow the log (ChangesSince +
// WaitForChange) and resume from their last applied revision.
//
// Format (postgres_format.h): corsd_meta holds format kPostgresFormat and
// version kPostgresFormatVersion, PostgreSQL's own; Open migrates an older
// store forward in the transaction that holds the schema's advisory lock and
// refuses a newer one untouched, naming both versions.
//
// Schema (created if absent):
//   corsd_meta(key text PRIMARY KEY, value text)   -- format, version, revision
//   corsd_tenants(id text COLLATE "C" PRIMARY KEY, policy bytea)
//   corsd_entries(tenant text COLLATE "C", kind smallint, value text COLLATE
//                 "C", PRIMARY KEY(tenant, kind, value))
//   corsd_changes(revision bigint PRIMARY KEY, batch bytea)  -- EncodeBatch
// The change log is never pruned by corsd (ChangesSince never returns
// OutOfRange); an operator may delete rows older than every replica's
// applied revision.
//
// Revisions are gap-free and commit in order: Commit locks the revision row
// (SELECT ... FOR UPDATE) first, so writers of all replicas are serialized
// and revision N+1 commits after N. A write is acknowledged only after
// COMMIT returns (synchronous_commit as configured on the server; on by
// default: the WAL is flushed).
//
// Load streams entries with COPY (binary), in no particular order.
//
// Thread safety: all methods thread-safe. Commit and Revision share one
// connection (mutex); ChangesSince and WaitForChange share a second (the
// follower's, LISTENing); Load opens its own. A broken connection is
// re-established on the next call (the caller backs off).
#ifndef CORSD_SERVICE_STORE_POSTGRES_STORE_H_
#define CORSD_SERVICE_STORE_POSTGRES_STORE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "service/store/postgres_format.h"
#include "service/store/store.h"

struct pg_conn;

namespace corsd::store {

class PostgresStore final : public Store {
 public:
  // Connects to `url` (a libpq URL), creates the schema if absent and checks
  // it, migrating an older format version forward (see above). Errors:
  // Unavailable when the server cannot be reached (message names the host,
  // never the password); FailedPrecondition when corsd_meta holds another
  // format, or a version newer than kPostgresFormatVersion or unknown (the
  // store is left as it was).
  // `after_migration_step`: a test hook (PreparePostgresFormat), null in
  // corsd.
  static absl::StatusOr<std::unique_ptr<PostgresStore>> Open(
      absl::string_view url,
      const std::function<void(int from)>& after_migration_step = nullptr);
  ~PostgresStore() override;

  std::string Describe() const override { return description_; }
  absl::StatusOr<uint64_t> Load(LoadSink& sink) override;
  absl::StatusOr<uint64_t> Revision() override;
  absl::StatusOr<uint64_t> Commit(const Batch& batch,
                                  uint64_t base_revision) override;
  bool Shared() const override { return true; }
  absl::StatusOr<std::vector<Change>> ChangesSince(uint64_t revision,
                                                   size_t limit) override;
  absl::Status WaitForChange(int timeout_ms) override;
  // pg_try_advisory_lock(2, hashtext(key)) on the lease connection; a
  // hash collision between two keys only makes them take turns.
  absl::StatusOr<std::unique_ptr<Lease>> TryLease(
      absl::string_view key) override;

 private:
  class AdvisoryLease;
  // One libpq connection with reconnect-on-demand.
  class Connection {
   public:
    Connection(std::string url, std::string description, bool listen)
        : url_(std::move(url)),
          description_(std::move(description)),
          listen_(listen) {}
    ~Connection();
    // The live connection, connecting (and LISTENing) first if needed.
    // Unavailable when the server cannot be reached.
    absl::StatusOr<pg_conn*> Get();
    // Drops a connection that failed, so the next Get reconnects.
    void Drop();

   private:
    const std::string url_;
    const std::string description_;
    const bool listen_;
    pg_conn* conn_ = nullptr;
  };

  PostgresStore(std::string url, std::string description);
  absl::Status CommitLocked(pg_conn* conn, const Batch& batch,
                            uint64_t base_revision, uint64_t* revision)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  const std::string url_;
  const std::string description_;
  absl::Mutex write_mu_;
  Connection writer_ ABSL_GUARDED_BY(write_mu_);
  absl::Mutex follow_mu_;
  Connection follower_ ABSL_GUARDED_BY(follow_mu_);
  absl::Mutex lease_mu_;
  Connection leaser_ ABSL_GUARDED_BY(lease_mu_);
};

}  // namespace corsd::store

#endif  // CORSD_SERVICE_STORE_POSTGRES_STORE_H_
