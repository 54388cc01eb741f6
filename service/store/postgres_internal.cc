#include "service/store/postgres_internal.h"

#include "absl/strings/str_cat.h"

namespace corsd::store::postgres_internal {

bool ConnectionLost(PGconn* conn) { return PQstatus(conn) != CONNECTION_OK; }

absl::Status PgError(PGconn* conn, absl::string_view what,
                     const std::string& description) {
  std::string msg = absl::StrCat("postgres ", description, ": ", what, ": ",
                                 PQerrorMessage(conn));
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) {
    msg.pop_back();
  }
  if (ConnectionLost(conn)) return absl::UnavailableError(msg);
  return absl::InternalError(msg);
}

absl::StatusOr<Result> Exec(PGconn* conn, const char* sql,
                            ExecStatusType expected,
                            const std::string& description) {
  Result r(PQexec(conn, sql));
  if (r == nullptr || PQresultStatus(r.get()) != expected) {
    return PgError(conn, absl::StrCat("\"", sql, "\""), description);
  }
  return r;
}

}  // namespace corsd::store::postgres_internal
