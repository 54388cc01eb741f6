// The PostgreSQL store's on-disk format: its schema, the format name and
// version in corsd_meta, and the migration steps from each older version.
// PostgreSQL's version is its own, apart from SQLite's (sqlite_store.h).
// History:
//   1  the schema of postgres_format.cc (every release before this one);
//   2  the same schema, written by the release whose PostgreSQL store wrongly
//      carried SQLite's version number (2). Migration 1 -> 2 changes no
//      table, only the version.
//   3  corsd_domains (custom domains: tenant, host, serialized
//      corsd.v1.CustomDomain). Migration 2 -> 3 creates it.
//
// Thread safety: runs on the caller's connection, inside its transaction.
#ifndef CORSD_SERVICE_STORE_POSTGRES_FORMAT_H_
#define CORSD_SERVICE_STORE_POSTGRES_FORMAT_H_

#include <libpq-fe.h>

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace corsd::store {

inline constexpr absl::string_view kPostgresFormat = "corsd-store";
inline constexpr int kPostgresFormatVersion = 3;

// Inside the caller's open transaction: takes the schema's advisory lock
// (so one replica creates or migrates while the others wait), creates the
// schema when there is no corsd_meta table, and otherwise reads corsd_meta
// before writing anything: a foreign format or a newer version is refused
// untouched; an older one is brought to kPostgresFormatVersion, one
// migration step per version, in order. `description` names the store in
// errors. Errors: FailedPrecondition when corsd_meta holds another format,
// or a version that is not a number, or newer than this binary (naming both
// versions and the upgrade order), or a migration step failed (naming it);
// the caller then rolls back, so the store is left as it was. libpq errors
// as postgres_internal::PgError.
// `after_step` (tests only; may be null) is called after each migration
// step, inside the transaction, with the version it migrated from.
absl::Status PreparePostgresFormat(
    PGconn* conn, const std::string& description,
    const std::function<void(int from)>& after_step = nullptr);

}  // namespace corsd::store

#endif  // CORSD_SERVICE_STORE_POSTGRES_FORMAT_H_
