// SqliteStore, the write side of `entries` (sqlite_store.h): writing a
// batch's mutations, and folding pending batches into the table, in the
// background or at Open and Load.
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "service/store/sqlite_internal.h"
#include "service/store/sqlite_store.h"

namespace corsd::store {

using sqlite_internal::BindText;
using sqlite_internal::ColumnView;
using sqlite_internal::Exec;
using sqlite_internal::SortForWriting;
using sqlite_internal::StepError;

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
        for (sqlite3_stmt* cascade : {delete_entries_, delete_domains_}) {
          sqlite3_reset(cascade);
          BindText(cascade, 1, m.tenant);
          const int step = sqlite3_step(cascade);
          sqlite3_reset(cascade);
          if (step != SQLITE_DONE) {
            return StepError(db_, path_, "deleting a tenant's entries");
          }
        }
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
      case Mutation::Type::kPutDomain:
        stmt = put_domain_;
        BindText(stmt, 1, m.tenant);
        BindText(stmt, 2, m.value);
        sqlite3_bind_blob(stmt, 3, m.data.data(),
                          static_cast<int>(m.data.size()), SQLITE_STATIC);
        break;
      case Mutation::Type::kRemoveDomain:
        stmt = remove_domain_;
        BindText(stmt, 1, m.tenant);
        BindText(stmt, 2, m.value);
        break;
    }
    const int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE) return StepError(db_, path_, "writing a batch");
  }
  return absl::OkStatus();
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
    ++fold_attempts_;
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

}  // namespace corsd::store
