// Store: the durable backend behind the Catalog. It keeps tenants (each with
// its serialized corsd.v1.Policy), their entries (origins, wildcards, API
// hosts) and their custom domains (each a serialized corsd.v1.CustomDomain
// keyed by tenant and host), commits a batch of mutations all-or-nothing and
// durably, loads everything quickly at startup, and, for a store shared by
// several corsd replicas, lists the batches committed since a revision.
//
// A Store does not validate: it stores what the Catalog validated. Values are
// canonical, tenants referenced by entries exist, policies parse.
//
// Two implementations: SqliteStore (embedded, sqlite_store.h) and
// PostgresStore (shared, postgres_store.h); OpenStore picks one from --store.
//
// Thread safety: every method may be called from any thread; implementations
// serialize internally. Load may run concurrently with Commit and sees a
// consistent snapshot (one revision).
#ifndef CORSD_SERVICE_STORE_STORE_H_
#define CORSD_SERVICE_STORE_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace corsd::store {

// What an entry is. The numbers mirror corsd.v1.EntryKind (a test checks).
enum class EntryKind : uint8_t { kOrigin = 1, kWildcard = 2, kApiHost = 3 };

// "origin", "wildcard", "api_host" (the dump file and SQL use these names).
absl::string_view EntryKindName(EntryKind kind);
// Inverse of EntryKindName; false when `name` is none of them.
bool ParseEntryKind(absl::string_view name, EntryKind* kind);

// One change. Mutations of a batch apply in order.
struct Mutation {
  enum class Type : uint8_t {
    kPutTenant = 1,     // create or replace tenant `tenant`; `value` is its
                        // serialized corsd.v1.Policy (may be empty bytes)
    kDeleteTenant = 2,  // delete tenant `tenant` and every entry it has
    kAddEntry = 3,      // add (`tenant`, `kind`, `value`); no-op if present
    kRemoveEntry = 4,   // remove it; no-op if absent
    kPutDomain = 5,     // create or replace custom domain (`tenant`, `value`
                        // = host); `data` is its serialized CustomDomain
    kRemoveDomain = 6,  // remove custom domain (`tenant`, `value` = host);
                        // no-op if absent
  };
  Type type = Type::kAddEntry;
  EntryKind kind = EntryKind::kOrigin;  // entry mutations only
  std::string tenant;
  std::string value;
  std::string data;  // kPutDomain only

  friend bool operator==(const Mutation&, const Mutation&) = default;
};

// An all-or-nothing unit of change.
using Batch = std::vector<Mutation>;

// A Mutation whose strings are views (into an encoded batch, or into the
// Mutation it was made from); valid while those bytes are.
struct MutationView {
  Mutation::Type type = Mutation::Type::kAddEntry;
  EntryKind kind = EntryKind::kOrigin;
  absl::string_view tenant;
  absl::string_view value;
  absl::string_view data;
};

// Encodes a batch to a compact, self-delimiting byte string (the change log
// format of shared stores) and back. DecodeBatch: DataLoss when `bytes` is
// not an encoding produced by EncodeBatch (truncated, unknown type or kind).
std::string EncodeBatch(const Batch& batch);
// EncodeBatch(batch).size() without encoding: an upper bound while every
// string is under 2 MiB (its length varint then takes at most 3 bytes;
// admin values and policies are far smaller), otherwise within a few bytes.
size_t EncodedSizeBound(const Batch& batch);
absl::StatusOr<Batch> DecodeBatch(absl::string_view bytes);
// DecodeBatch without copying the strings: views into `bytes` (which must
// outlive the result). Same errors. One allocation for the whole batch, so
// decoding a million rows leaves no heap fragments behind.
absl::StatusOr<std::vector<MutationView>> DecodeBatchViews(
    absl::string_view bytes);

// Receives a snapshot from Store::Load: every tenant first (sorted by id),
// then every entry (in an order each store documents; SQLite: sorted by
// tenant, kind, value), then every custom domain (sorted by tenant, host).
// kDeleteTenant removes a tenant's domains with its entries. The views are
// valid only during the call. A non-OK status stops the load and is returned by
// Load.
class LoadSink {
 public:
  virtual ~LoadSink() = default;
  virtual absl::Status OnTenant(absl::string_view id,
                                absl::string_view policy_bytes) = 0;
  virtual absl::Status OnEntry(absl::string_view tenant, EntryKind kind,
                               absl::string_view value) = 0;
  // `record` is the serialized corsd.v1.CustomDomain as written.
  virtual absl::Status OnDomain(absl::string_view tenant,
                                absl::string_view host,
                                absl::string_view record) = 0;
};

// One committed batch of a shared store's change log.
struct Change {
  uint64_t revision = 0;
  Batch batch;
};

class Store {
 public:
  virtual ~Store() = default;

  // "sqlite:/path/to/corsd.db" or "postgres://host:port/db" (password
  // elided): for logs and errors.
  virtual std::string Describe() const = 0;

  // Streams a consistent snapshot into `sink` and returns its revision (0 for
  // an empty store). Errors: the sink's status; Unavailable when the backend
  // cannot be reached; DataLoss when a stored row is malformed.
  virtual absl::StatusOr<uint64_t> Load(LoadSink& sink) = 0;

  // The latest committed revision.
  virtual absl::StatusOr<uint64_t> Revision() = 0;

  // Applies `batch` in one transaction and returns the new revision
  // (base_revision + 1). Returns only once the transaction is durable; on any
  // error nothing of the batch is stored. `base_revision` is the revision the
  // caller validated against: Aborted when the store has moved past it (a
  // shared store written by another replica; catch up with ChangesSince and
  // validate again). Unavailable when the backend cannot be reached (the
  // batch was not committed... unless the connection broke during COMMIT, in
  // which case the outcome is unknown: the caller did not acknowledge it and
  // learns it from ChangesSince). An empty batch still takes a revision.
  virtual absl::StatusOr<uint64_t> Commit(const Batch& batch,
                                          uint64_t base_revision) = 0;

  // True for stores several replicas share (they need a follower).
  virtual bool Shared() const = 0;

  // Shared stores: the batches committed after `revision`, in revision
  // order, at most `limit` of them. Unimplemented for embedded stores.
  // Unavailable when the backend cannot be reached; OutOfRange when the
  // change log no longer holds revision + 1 (reload instead).
  virtual absl::StatusOr<std::vector<Change>> ChangesSince(uint64_t revision,
                                                           size_t limit) = 0;

  // Shared stores: blocks up to `timeout_ms` for a notification that a batch
  // was committed by anyone (LISTEN/NOTIFY), returns early when one arrives.
  // OK on wake or timeout; Unavailable when the connection is lost (after
  // which the store reconnects on the next call). Embedded stores return
  // Unimplemented.
  virtual absl::Status WaitForChange(int timeout_ms) = 0;

  // Held while this process works on something only one replica of a
  // shared store should work on at a time (a custom domain's verification);
  // released when destroyed. Must not outlive the Store.
  class Lease {
   public:
    virtual ~Lease() = default;
  };
  // Takes the lease named `key` if no other process holds it: the lease, or
  // nullptr when another replica holds it. The default (embedded stores,
  // one process per store) always grants it. PostgreSQL: a session advisory
  // lock on a connection of its own (released if that connection drops).
  // Unavailable when the backend cannot be reached.
  virtual absl::StatusOr<std::unique_ptr<Lease>> TryLease(
      absl::string_view key);
};

// Opens the store named by corsd's --store flag:
//   ""                                  -> SQLite file corsd.db in data_dir
//   "postgres://..." or "postgresql://..." -> PostgreSQL (libpq URL)
// Errors: InvalidArgument naming --store for any other URL, or --data-dir
// when both are empty; otherwise the implementation's Open errors
// (FailedPrecondition for a foreign or newer-format store, Unavailable when
// PostgreSQL cannot be reached).
absl::StatusOr<std::unique_ptr<Store>> OpenStore(absl::string_view store_url,
                                                 absl::string_view data_dir);

}  // namespace corsd::store

#endif  // CORSD_SERVICE_STORE_STORE_H_
