#include "service/store/postgres_store.h"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <poll.h>

#include <cstring>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "service/store/postgres_format.h"
#include "service/store/postgres_internal.h"

namespace corsd::store {
namespace {

using postgres_internal::ConnectionLost;
using postgres_internal::Exec;
using postgres_internal::PgError;
using postgres_internal::Result;

constexpr char kChannel[] = "corsd_changes";

// "postgres://host:port/db" without user or password.
std::string DescribeUrl(absl::string_view url) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(std::string(url).c_str(), &err);
  if (opts == nullptr) {
    PQfreemem(err);
    return "postgres://(unparsable url)";
  }
  std::string host = "localhost", port = "5432", db;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    if (std::strcmp(o->keyword, "host") == 0) host = o->val;
    if (std::strcmp(o->keyword, "port") == 0) port = o->val;
    if (std::strcmp(o->keyword, "dbname") == 0) db = o->val;
  }
  PQconninfoFree(opts);
  return absl::StrCat("postgres://", host, ":", port, "/", db);
}

// Big-endian helpers for COPY BINARY.
void PutU16(std::string* out, uint16_t v) {
  v = htons(v);
  out->append(reinterpret_cast<const char*>(&v), 2);
}
void PutU32(std::string* out, uint32_t v) {
  v = htonl(v);
  out->append(reinterpret_cast<const char*>(&v), 4);
}
uint16_t GetU16(const char* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return ntohs(v);
}
uint32_t GetU32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return ntohl(v);
}

constexpr char kCopyHeader[] = "PGCOPY\n\377\r\n\0";  // 11 bytes + flags + ext

}  // namespace

PostgresStore::Connection::~Connection() { Drop(); }

void PostgresStore::Connection::Drop() {
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
}

absl::StatusOr<PGconn*> PostgresStore::Connection::Get() {
  if (conn_ != nullptr && !ConnectionLost(conn_)) return conn_;
  Drop();
  const char* keys[] = {"dbname", "connect_timeout", "keepalives_idle",
                        "application_name", nullptr};
  const char* values[] = {url_.c_str(), "3", "5", "corsd", nullptr};
  conn_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn_ == nullptr || ConnectionLost(conn_)) {
    absl::Status s = absl::UnavailableError(
        absl::StrCat("cannot connect to ", description_, ": ",
                     conn_ ? PQerrorMessage(conn_) : "out of memory"));
    Drop();
    return s;
  }
  Result r(PQexec(conn_, "SET client_min_messages = warning"));
  if (listen_) {
    Result l(PQexec(conn_, absl::StrCat("LISTEN ", kChannel).c_str()));
    if (PQresultStatus(l.get()) != PGRES_COMMAND_OK) {
      absl::Status s = PgError(conn_, "LISTEN", description_);
      Drop();
      return absl::UnavailableError(s.message());
    }
  }
  return conn_;
}

PostgresStore::PostgresStore(std::string url, std::string description)
    : url_(std::move(url)),
      description_(std::move(description)),
      writer_(url_, description_, false),
      follower_(url_, description_, true),
      leaser_(url_, description_, false) {}

PostgresStore::~PostgresStore() = default;

// Unlocks its advisory lock when destroyed (if the lease connection is
// still the one that took it; a dropped connection released it already).
class PostgresStore::AdvisoryLease final : public Store::Lease {
 public:
  AdvisoryLease(PostgresStore* store, std::string key, pg_conn* conn)
      : store_(store), key_(std::move(key)), conn_(conn) {}
  ~AdvisoryLease() override {
    absl::MutexLock lock(&store_->lease_mu_);
    auto conn = store_->leaser_.Get();
    if (!conn.ok() || *conn != conn_) return;
    const char* params[1] = {key_.c_str()};
    Result r(PQexecParams(*conn, "SELECT pg_advisory_unlock(2, hashtext($1))",
                          1, nullptr, params, nullptr, nullptr, 0));
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) store_->leaser_.Drop();
  }

 private:
  PostgresStore* const store_;
  const std::string key_;
  pg_conn* const conn_;
};

absl::StatusOr<std::unique_ptr<Store::Lease>> PostgresStore::TryLease(
    absl::string_view key) {
  absl::MutexLock lock(&lease_mu_);
  auto conn = leaser_.Get();
  if (!conn.ok()) return conn.status();
  const std::string k(key);
  const char* params[1] = {k.c_str()};
  Result r(PQexecParams(*conn, "SELECT pg_try_advisory_lock(2, hashtext($1))",
                        1, nullptr, params, nullptr, nullptr, 0));
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
    absl::Status s = PgError(*conn, "taking a lease", description_);
    leaser_.Drop();
    return absl::UnavailableError(s.message());
  }
  if (std::string(PQgetvalue(r.get(), 0, 0)) != "t") return nullptr;
  return std::make_unique<AdvisoryLease>(this, k, *conn);
}

absl::StatusOr<std::unique_ptr<PostgresStore>> PostgresStore::Open(
    absl::string_view url,
    const std::function<void(int from)>& after_migration_step) {
  std::unique_ptr<PostgresStore> store(
      new PostgresStore(std::string(url), DescribeUrl(url)));
  absl::MutexLock lock(&store->write_mu_);
  auto conn_or = store->writer_.Get();
  if (!conn_or.ok()) return conn_or.status();
  PGconn* conn = *conn_or;
  const std::string& d = store->description_;
  // Replicas starting together: one creates or migrates the schema under the
  // advisory lock (postgres_format.h), the others wait.
  if (auto r = Exec(conn, "BEGIN", PGRES_COMMAND_OK, d); !r.ok()) {
    return r.status();
  }
  absl::Cleanup rollback = [conn] { PQclear(PQexec(conn, "ROLLBACK")); };
  if (absl::Status s = PreparePostgresFormat(conn, d, after_migration_step);
      !s.ok()) {
    return s;
  }
  if (auto r = Exec(conn, "COMMIT", PGRES_COMMAND_OK, d); !r.ok()) {
    return r.status();
  }
  std::move(rollback).Cancel();
  return store;
}

absl::StatusOr<uint64_t> PostgresStore::Revision() {
  absl::MutexLock lock(&write_mu_);
  auto conn = writer_.Get();
  if (!conn.ok()) return conn.status();
  auto r = Exec(*conn, "SELECT value FROM corsd_meta WHERE key='revision'",
                PGRES_TUPLES_OK, description_);
  if (!r.ok()) {
    if (absl::IsUnavailable(r.status())) writer_.Drop();
    return r.status();
  }
  uint64_t revision = 0;
  if (PQntuples(r->get()) != 1 ||
      !absl::SimpleAtoi(PQgetvalue(r->get(), 0, 0), &revision)) {
    return absl::DataLossError(
        absl::StrCat(description_, ": corsd_meta has no valid revision"));
  }
  return revision;
}

absl::StatusOr<uint64_t> PostgresStore::Commit(const Batch& batch,
                                               uint64_t base_revision) {
  absl::MutexLock lock(&write_mu_);
  auto conn = writer_.Get();
  if (!conn.ok()) return conn.status();
  uint64_t revision = 0;
  absl::Status s = CommitLocked(*conn, batch, base_revision, &revision);
  if (!s.ok()) {
    if (ConnectionLost(*conn)) {
      writer_.Drop();
      return absl::UnavailableError(s.message());
    }
    PQclear(PQexec(*conn, "ROLLBACK"));
    return s;
  }
  return revision;
}

absl::Status PostgresStore::CommitLocked(PGconn* conn, const Batch& batch,
                                         uint64_t base_revision,
                                         uint64_t* revision) {
  const std::string& d = description_;
  if (auto r = Exec(conn, "BEGIN", PGRES_COMMAND_OK, d); !r.ok()) {
    return r.status();
  }
  // Serializes writers of every replica; revisions commit in order.
  auto rev = Exec(conn,
                  "SELECT value FROM corsd_meta WHERE key='revision' "
                  "FOR UPDATE",
                  PGRES_TUPLES_OK, d);
  if (!rev.ok()) return rev.status();
  uint64_t current = 0;
  if (PQntuples(rev->get()) != 1 ||
      !absl::SimpleAtoi(PQgetvalue(rev->get(), 0, 0), &current)) {
    return absl::DataLossError(
        absl::StrCat(d, ": corsd_meta has no valid revision"));
  }
  if (current != base_revision) {
    return absl::AbortedError(absl::StrCat(
        d, " is at revision ", current, ", the write was validated at ",
        base_revision, " (another replica wrote first)"));
  }
  // Entry mutations go through a staging table with COPY; runs of adds and
  // runs of removes are flushed in order, so the batch's order holds.
  bool staged_table = false;
  std::string copy;
  bool staging_adds = false;
  size_t staged = 0;
  auto flush = [&]() -> absl::Status {
    if (staged == 0) return absl::OkStatus();
    if (!staged_table) {
      if (auto r = Exec(conn,
                        "CREATE TEMP TABLE IF NOT EXISTS corsd_stage(tenant "
                        "text COLLATE \"C\", kind smallint, value text "
                        "COLLATE \"C\") ON COMMIT DELETE ROWS",
                        PGRES_COMMAND_OK, d);
          !r.ok()) {
        return r.status();
      }
      staged_table = true;
    }
    if (auto r = Exec(conn, "TRUNCATE corsd_stage", PGRES_COMMAND_OK, d);
        !r.ok()) {
      return r.status();
    }
    if (auto r = Exec(conn, "COPY corsd_stage FROM STDIN (FORMAT binary)",
                      PGRES_COPY_IN, d);
        !r.ok()) {
      return r.status();
    }
    PutU16(&copy, 0xFFFF);  // trailer
    if (PQputCopyData(conn, copy.data(), static_cast<int>(copy.size())) != 1 ||
        PQputCopyEnd(conn, nullptr) != 1) {
      return PgError(conn, "COPY to the staging table", d);
    }
    Result r(PQgetResult(conn));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
      return PgError(conn, "COPY to the staging table", d);
    }
    while (PGresult* extra = PQgetResult(conn)) PQclear(extra);
    const char* sql =
        staging_adds
            ? "INSERT INTO corsd_entries SELECT * FROM corsd_stage "
              "ON CONFLICT DO NOTHING"
            : "DELETE FROM corsd_entries e USING corsd_stage s WHERE "
              "e.tenant=s.tenant AND e.kind=s.kind AND e.value=s.value";
    if (auto r2 = Exec(conn, sql, PGRES_COMMAND_OK, d); !r2.ok()) {
      return r2.status();
    }
    copy.clear();
    staged = 0;
    return absl::OkStatus();
  };
  for (const Mutation& m : batch) {
    const bool is_entry = m.type == Mutation::Type::kAddEntry ||
                          m.type == Mutation::Type::kRemoveEntry;
    const bool add = m.type == Mutation::Type::kAddEntry;
    if (!is_entry || (staged > 0 && add != staging_adds)) {
      if (absl::Status s = flush(); !s.ok()) return s;
    }
    if (is_entry) {
      if (staged == 0) {
        copy.append(kCopyHeader, 11);
        PutU32(&copy, 0);
        PutU32(&copy, 0);
        staging_adds = add;
      }
      PutU16(&copy, 3);
      PutU32(&copy, m.tenant.size());
      copy.append(m.tenant);
      PutU32(&copy, 2);
      PutU16(&copy, static_cast<uint16_t>(m.kind));
      PutU32(&copy, m.value.size());
      copy.append(m.value);
      ++staged;
      continue;
    }
    const char* params[2] = {m.tenant.c_str(), m.value.data()};
    const int lengths[2] = {static_cast<int>(m.tenant.size()),
                            static_cast<int>(m.value.size())};
    const int formats[2] = {0, 1};
    if (m.type == Mutation::Type::kPutTenant) {
      Result r(
          PQexecParams(conn,
                       "INSERT INTO corsd_tenants VALUES($1, $2) ON "
                       "CONFLICT (id) DO UPDATE SET policy=excluded.policy",
                       2, nullptr, params, lengths, formats, 0));
      if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
        return PgError(conn, "writing a tenant", d);
      }
    } else if (m.type == Mutation::Type::kPutDomain) {
      const char* dparams[3] = {m.tenant.c_str(), m.value.c_str(),
                                m.data.data()};
      const int dlengths[3] = {static_cast<int>(m.tenant.size()),
                               static_cast<int>(m.value.size()),
                               static_cast<int>(m.data.size())};
      const int dformats[3] = {0, 0, 1};
      Result r(PQexecParams(
          conn,
          "INSERT INTO corsd_domains VALUES($1, $2, $3) ON CONFLICT (tenant, "
          "host) DO UPDATE SET record=excluded.record",
          3, nullptr, dparams, dlengths, dformats, 0));
      if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
        return PgError(conn, "writing a domain", d);
      }
    } else if (m.type == Mutation::Type::kRemoveDomain) {
      const char* dparams[2] = {m.tenant.c_str(), m.value.c_str()};
      Result r(PQexecParams(
          conn, "DELETE FROM corsd_domains WHERE tenant=$1 AND host=$2", 2,
          nullptr, dparams, nullptr, nullptr, 0));
      if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
        return PgError(conn, "removing a domain", d);
      }
    } else {
      for (const char* sql : {"DELETE FROM corsd_entries WHERE tenant=$1",
                              "DELETE FROM corsd_domains WHERE tenant=$1",
                              "DELETE FROM corsd_tenants WHERE id=$1"}) {
        Result r(
            PQexecParams(conn, sql, 1, nullptr, params, lengths, formats, 0));
        if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
          return PgError(conn, "deleting a tenant", d);
        }
      }
    }
  }
  if (absl::Status s = flush(); !s.ok()) return s;
  const std::string next = absl::StrCat(current + 1);
  const std::string encoded = EncodeBatch(batch);
  const char* params[2] = {next.c_str(), encoded.data()};
  const int lengths[2] = {static_cast<int>(next.size()),
                          static_cast<int>(encoded.size())};
  const int formats[2] = {0, 1};
  Result log(PQexecParams(conn, "INSERT INTO corsd_changes VALUES($1, $2)", 2,
                          nullptr, params, lengths, formats, 0));
  if (PQresultStatus(log.get()) != PGRES_COMMAND_OK) {
    return PgError(conn, "appending to the change log", d);
  }
  Result meta(
      PQexecParams(conn, "UPDATE corsd_meta SET value=$1 WHERE key='revision'",
                   1, nullptr, params, lengths, formats, 0));
  if (PQresultStatus(meta.get()) != PGRES_COMMAND_OK) {
    return PgError(conn, "writing the revision", d);
  }
  const std::string notify =
      absl::StrCat("NOTIFY ", kChannel, ", '", next, "'");
  if (auto r = Exec(conn, notify.c_str(), PGRES_COMMAND_OK, d); !r.ok()) {
    return r.status();
  }
  // Acknowledged only once COMMIT returns: the transaction is durable.
  if (auto r = Exec(conn, "COMMIT", PGRES_COMMAND_OK, d); !r.ok()) {
    return r.status();
  }
  *revision = current + 1;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Change>> PostgresStore::ChangesSince(
    uint64_t revision, size_t limit) {
  absl::MutexLock lock(&follow_mu_);
  auto conn = follower_.Get();
  if (!conn.ok()) return conn.status();
  const std::string from = absl::StrCat(revision);
  const std::string count = absl::StrCat(limit);
  const char* params[2] = {from.c_str(), count.c_str()};
  Result r(PQexecParams(*conn,
                        "SELECT revision, batch FROM corsd_changes WHERE "
                        "revision > $1 ORDER BY revision LIMIT $2",
                        2, nullptr, params, nullptr, nullptr,
                        /*resultFormat=*/1));
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
    absl::Status s = PgError(*conn, "reading the change log", description_);
    if (absl::IsUnavailable(s)) follower_.Drop();
    return s;
  }
  std::vector<Change> changes(PQntuples(r.get()));
  for (size_t i = 0; i < changes.size(); ++i) {
    const char* rev = PQgetvalue(r.get(), i, 0);
    uint64_t v = 0;
    for (int b = 0; b < 8; ++b) v = (v << 8) | static_cast<uint8_t>(rev[b]);
    changes[i].revision = v;
    auto batch = DecodeBatch(absl::string_view(PQgetvalue(r.get(), i, 1),
                                               PQgetlength(r.get(), i, 1)));
    if (!batch.ok()) {
      return absl::DataLossError(absl::StrCat(description_, ": change ", v,
                                              ": ", batch.status().message()));
    }
    changes[i].batch = *std::move(batch);
  }
  return changes;
}

absl::Status PostgresStore::WaitForChange(int timeout_ms) {
  absl::MutexLock lock(&follow_mu_);
  auto conn_or = follower_.Get();
  if (!conn_or.ok()) return conn_or.status();
  PGconn* conn = *conn_or;
  auto drain = [conn]() {
    bool any = false;
    while (PGnotify* n = PQnotifies(conn)) {
      PQfreemem(n);
      any = true;
    }
    return any;
  };
  if (PQconsumeInput(conn) == 0) {
    absl::Status s = PgError(conn, "waiting for changes", description_);
    follower_.Drop();
    return absl::UnavailableError(s.message());
  }
  if (drain()) return absl::OkStatus();
  pollfd pfd{PQsocket(conn), POLLIN, 0};
  if (::poll(&pfd, 1, timeout_ms) > 0) {
    if (PQconsumeInput(conn) == 0) {
      absl::Status s = PgError(conn, "waiting for changes", description_);
      follower_.Drop();
      return absl::UnavailableError(s.message());
    }
    drain();
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> PostgresStore::Load(LoadSink& sink) {
  Connection reader(url_, description_, false);
  auto conn_or = reader.Get();
  if (!conn_or.ok()) return conn_or.status();
  PGconn* conn = *conn_or;
  const std::string& d = description_;
  if (auto r = Exec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                    PGRES_COMMAND_OK, d);
      !r.ok()) {
    return r.status();
  }
  auto rev = Exec(conn, "SELECT value FROM corsd_meta WHERE key='revision'",
                  PGRES_TUPLES_OK, d);
  if (!rev.ok()) return rev.status();
  uint64_t revision = 0;
  if (PQntuples(rev->get()) != 1 ||
      !absl::SimpleAtoi(PQgetvalue(rev->get(), 0, 0), &revision)) {
    return absl::DataLossError(absl::StrCat(d, ": no valid revision"));
  }
  Result tenants(
      PQexecParams(conn, "SELECT id, policy FROM corsd_tenants ORDER BY id", 0,
                   nullptr, nullptr, nullptr, nullptr, 1));
  if (PQresultStatus(tenants.get()) != PGRES_TUPLES_OK) {
    return PgError(conn, "reading tenants", d);
  }
  for (int i = 0; i < PQntuples(tenants.get()); ++i) {
    if (absl::Status s =
            sink.OnTenant(absl::string_view(PQgetvalue(tenants.get(), i, 0),
                                            PQgetlength(tenants.get(), i, 0)),
                          absl::string_view(PQgetvalue(tenants.get(), i, 1),
                                            PQgetlength(tenants.get(), i, 1)));
        !s.ok()) {
      return s;
    }
  }
  tenants.reset();
  if (auto r = Exec(conn,
                    "COPY corsd_entries (tenant, kind, value) TO STDOUT "
                    "(FORMAT binary)",
                    PGRES_COPY_OUT, d);
      !r.ok()) {
    return r.status();
  }
  absl::Status failed;
  bool header = true;
  for (;;) {
    char* buf = nullptr;
    const int n = PQgetCopyData(conn, &buf, /*async=*/0);
    if (n == -1) break;  // done
    if (n < 0) return PgError(conn, "reading entries", d);
    absl::Cleanup free_buf = [buf] { PQfreemem(buf); };
    if (!failed.ok()) continue;  // drain the rest of the COPY
    const char* p = buf;
    const char* end = buf + n;
    if (header) {
      if (n < 19 || std::memcmp(p, kCopyHeader, 11) != 0) {
        failed = absl::DataLossError(absl::StrCat(d, ": bad COPY header"));
        continue;
      }
      p += 19 + GetU32(p + 15);
      header = false;
    }
    if (end - p >= 2 && GetU16(p) == 0xFFFF) continue;  // trailer
    // One tuple: 3 fields (tenant text, kind int2, value text).
    if (end - p < 2 || GetU16(p) != 3) {
      failed = absl::DataLossError(absl::StrCat(d, ": bad COPY tuple"));
      continue;
    }
    p += 2;
    absl::string_view fields[3];
    for (absl::string_view& f : fields) {
      if (end - p < 4) break;
      const uint32_t len = GetU32(p);
      p += 4;
      if (len == 0xFFFFFFFFu || static_cast<size_t>(end - p) < len) {
        p = end + 1;
        break;
      }
      f = absl::string_view(p, len);
      p += len;
    }
    if (p > end || fields[1].size() != 2) {
      failed = absl::DataLossError(absl::StrCat(d, ": truncated COPY tuple"));
      continue;
    }
    const uint16_t kind = GetU16(fields[1].data());
    if (kind < 1 || kind > 3) {
      failed = absl::DataLossError(absl::StrCat(d, ": entry of tenant \"",
                                                fields[0], "\" has kind ", kind,
                                                ", expected 1..3"));
      continue;
    }
    failed = sink.OnEntry(fields[0], static_cast<EntryKind>(kind), fields[2]);
  }
  Result done(PQgetResult(conn));
  if (failed.ok() && PQresultStatus(done.get()) != PGRES_COMMAND_OK) {
    return PgError(conn, "reading entries", d);
  }
  while (PGresult* extra = PQgetResult(conn)) PQclear(extra);
  if (!failed.ok()) return failed;
  Result domains(PQexecParams(
      conn,
      "SELECT tenant, host, record FROM corsd_domains ORDER BY tenant, "
      "host",
      0, nullptr, nullptr, nullptr, nullptr, 1));
  if (PQresultStatus(domains.get()) != PGRES_TUPLES_OK) {
    return PgError(conn, "reading domains", d);
  }
  for (int i = 0; i < PQntuples(domains.get()); ++i) {
    auto field = [&](int col) {
      return absl::string_view(PQgetvalue(domains.get(), i, col),
                               PQgetlength(domains.get(), i, col));
    };
    if (absl::Status s = sink.OnDomain(field(0), field(1), field(2)); !s.ok()) {
      return s;
    }
  }
  domains.reset();
  PQclear(PQexec(conn, "COMMIT"));
  return revision;
}

}  // namespace corsd::store
