// libpq helpers shared by the PostgreSQL store's files (postgres_store.cc,
// postgres_format.cc): an owned PGresult, and errors that name the store and
// the statement. Internal to service/store.
//
// Thread safety: pure functions over the caller's connection.
#ifndef CORSD_SERVICE_STORE_POSTGRES_INTERNAL_H_
#define CORSD_SERVICE_STORE_POSTGRES_INTERNAL_H_

#include <libpq-fe.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace corsd::store::postgres_internal {

// A PGresult owned for the scope.
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

// True when `conn` is no longer usable.
bool ConnectionLost(PGconn* conn);

// An error status for a failed libpq call on the store `description`:
// Unavailable when the connection is gone (retry later), Internal otherwise.
absl::Status PgError(PGconn* conn, absl::string_view what,
                     const std::string& description);

// Runs `sql` expecting `expected`; the error names the statement.
absl::StatusOr<Result> Exec(PGconn* conn, const char* sql,
                            ExecStatusType expected,
                            const std::string& description);

}  // namespace corsd::store::postgres_internal

#endif  // CORSD_SERVICE_STORE_POSTGRES_INTERNAL_H_
