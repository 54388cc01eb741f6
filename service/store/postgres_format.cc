#include "service/store/postgres_format.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "service/store/postgres_internal.h"

namespace corsd::store {
namespace {

using postgres_internal::Exec;
using postgres_internal::PgError;
using postgres_internal::Result;

// The schema of a new store (the current version). CREATE TABLE without
// IF NOT EXISTS: a database holding some corsd_ tables but no corsd_meta is
// refused by the error rather than half-adopted.
const char kSchema[] =
    "CREATE TABLE corsd_meta(key text PRIMARY KEY, value text NOT NULL);"
    "CREATE TABLE corsd_tenants(id text COLLATE \"C\" PRIMARY KEY, "
    "  policy bytea NOT NULL);"
    "CREATE TABLE corsd_entries(tenant text COLLATE \"C\" NOT NULL, "
    "  kind smallint NOT NULL, value text COLLATE \"C\" NOT NULL, "
    "  PRIMARY KEY(tenant, kind, value));"
    "CREATE TABLE corsd_changes(revision bigint PRIMARY KEY, "
    "  batch bytea NOT NULL);";
// Added by format version 3 (also part of a new store's schema).
const char kCreateDomains[] =
    "CREATE TABLE corsd_domains(tenant text COLLATE \"C\" NOT NULL, "
    "  host text COLLATE \"C\" NOT NULL, record bytea NOT NULL, "
    "  PRIMARY KEY(tenant, host))";

// Format 1 -> 2: no table changed (version 2 only fixed the number, which
// had followed SQLite's); the caller writes the new version.
absl::Status MigratePostgresV1ToV2(PGconn*, const std::string&) {
  return absl::OkStatus();
}

// Format 2 -> 3: the custom domains table.
absl::Status MigratePostgresV2ToV3(PGconn* conn, const std::string& d) {
  return Exec(conn, kCreateDomains, PGRES_COMMAND_OK, d).status();
}

// The migration from format version `from` to from + 1, inside Open's
// transaction (under the advisory lock). Each step is small and named above.
absl::Status MigratePostgresFrom(PGconn* conn, int from, const std::string& d) {
  switch (from) {
    case 1:
      return MigratePostgresV1ToV2(conn, d);
    case 2:
      return MigratePostgresV2ToV3(conn, d);
    default:
      return absl::InternalError(
          absl::StrCat(d, ": no migration step from version ", from));
  }
}

}  // namespace

absl::Status PreparePostgresFormat(
    PGconn* conn, const std::string& d,
    const std::function<void(int from)>& after_step) {
  if (auto r = Exec(conn, "SELECT pg_advisory_xact_lock(1668248179)",
                    PGRES_TUPLES_OK, d);
      !r.ok()) {
    return r.status();
  }
  auto exists = Exec(conn, "SELECT to_regclass('corsd_meta') IS NOT NULL",
                     PGRES_TUPLES_OK, d);
  if (!exists.ok()) return exists.status();
  if (std::string(PQgetvalue(exists->get(), 0, 0)) != "t") {
    // corsd_ tables without corsd_meta: not a store this corsd made (or
    // one damaged by hand). Refused before anything is written.
    auto ours = Exec(conn,
                     "SELECT string_agg(tablename, ', ' ORDER BY tablename) "
                     "FROM pg_tables WHERE tablename LIKE 'corsd\\_%' AND "
                     "schemaname = current_schema()",
                     PGRES_TUPLES_OK, d);
    if (!ours.ok()) return ours.status();
    if (!PQgetisnull(ours->get(), 0, 0)) {
      return absl::FailedPreconditionError(absl::StrCat(
          d, " has tables ", PQgetvalue(ours->get(), 0, 0),
          " but no corsd_meta: not a corsd store; refusing to write to it "
          "(drop them or point --store at another database)"));
    }
    // A new store: the whole current schema and its seed.
    const std::string create = absl::StrCat(
        kSchema, kCreateDomains, ";",
        "INSERT INTO corsd_meta VALUES('format','", kPostgresFormat,
        "'),('version','", kPostgresFormatVersion, "'),('revision','0')");
    Result r(PQexec(conn, create.c_str()));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
      return PgError(conn, "creating the schema", d);
    }
    return absl::OkStatus();
  }
  auto meta = Exec(conn,
                   "SELECT key, value FROM corsd_meta WHERE key IN "
                   "('format','version')",
                   PGRES_TUPLES_OK, d);
  if (!meta.ok()) return meta.status();
  std::string format, version;
  for (int i = 0; i < PQntuples(meta->get()); ++i) {
    const std::string key = PQgetvalue(meta->get(), i, 0);
    if (key == "format") format = PQgetvalue(meta->get(), i, 1);
    if (key == "version") version = PQgetvalue(meta->get(), i, 1);
  }
  if (format != kPostgresFormat) {
    return absl::FailedPreconditionError(
        absl::StrCat(d, " is not a corsd store: corsd_meta format is \"",
                     format, "\", expected \"", kPostgresFormat, "\""));
  }
  int from = 0;
  if (!absl::SimpleAtoi(version, &from) || from < 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        d, " has store format version \"", version,
        "\"; expected a number from 1 to ", kPostgresFormatVersion));
  }
  if (from > kPostgresFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        d, " has store format version ", from,
        "; this corsd reads versions 1 "
        "to ",
        kPostgresFormatVersion,
        ". A newer corsd wrote it: upgrade this replica (replicas are "
        "upgraded before they meet a store migrated by a newer release, "
        "never after)"));
  }
  // Migrations, one per version, in order; all in this transaction.
  for (int v = from; v < kPostgresFormatVersion; ++v) {
    if (absl::Status s = MigratePostgresFrom(conn, v, d); !s.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat(d, ": migrating store format version ", v, " to ", v + 1,
                       " failed, nothing changed: ", s.message()));
    }
    if (after_step) after_step(v);
  }
  if (from != kPostgresFormatVersion) {
    const std::string set =
        absl::StrCat("UPDATE corsd_meta SET value='", kPostgresFormatVersion,
                     "' WHERE key='version'");
    if (auto r = Exec(conn, set.c_str(), PGRES_COMMAND_OK, d); !r.ok()) {
      return r.status();
    }
  }
  return absl::OkStatus();
}

}  // namespace corsd::store
