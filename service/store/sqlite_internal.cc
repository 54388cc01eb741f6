// The SQLite call helpers and SortForWriting (sqlite_internal.h).
#include "service/store/sqlite_internal.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace corsd::store::sqlite_internal {

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

}  // namespace corsd::store::sqlite_internal
