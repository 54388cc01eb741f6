// ImportWriter: batches admin items into Admin.Import chunks and streams them.
//
// The server applies the whole stream as one all-or-nothing write when the
// writer half-closes (Finish); if any item is refused, nothing is applied and
// Finish returns InvalidArgument with BatchErrors whose indexes count items
// across the stream in the order this writer sent them: within each chunk
// the tenants first, then the ops. AddTenant after an AddOp starts a new
// chunk, so an item's stream index is always items_added() just before it
// was added: callers map server errors back to their input with that.
//
// A chunk is sent when it holds max_items items or about max_bytes bytes.
// Chunk messages are reused, so steady-state adds do not allocate.
//
// Thread safety: one thread. Not retried: a broken stream is reported by
// Finish and the caller starts over (nothing was applied).
#ifndef CORSD_CLIENT_IMPORT_WRITER_H_
#define CORSD_CLIENT_IMPORT_WRITER_H_

#include <grpcpp/client_context.h>
#include <grpcpp/support/sync_stream.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "corsd/v1/admin.grpc.pb.h"

namespace corsd::client {

class ImportWriter {
 public:
  struct Options {
    // Items per chunk, 1..100000 (the server's limit); clamped.
    size_t max_items = 20000;
    // Approximate encoded bytes per chunk before it is sent.
    size_t max_bytes = 4 << 20;
    // Validate only: the server applies nothing (sent on the first chunk).
    bool dry_run = false;
    // Called after each chunk is handed to gRPC, with the items sent so far.
    std::function<void(uint64_t items_sent)> progress;
  };

  // Constructed by AdminClient::StartImport: `context` carries the
  // deadline and credentials; `stub` must outlive the writer.
  ImportWriter(corsd::v1::Admin::Stub* stub,
               std::unique_ptr<grpc::ClientContext> context, Options options,
               std::string target);
  ~ImportWriter();  // Cancels the stream if Finish was not called.

  ImportWriter(const ImportWriter&) = delete;
  ImportWriter& operator=(const ImportWriter&) = delete;

  // Queues one entry op. Returns an error only when the stream already broke
  // (the server ended it, e.g. after refusing an item); then stop adding and
  // call Finish for the server's status.
  absl::Status AddOp(corsd::v1::EntryOp::Op op, corsd::v1::EntryKind kind,
                     absl::string_view tenant, absl::string_view value);
  // Queues one tenant put (with its policy). Same errors as AddOp.
  absl::Status AddTenant(const corsd::v1::Tenant& tenant);
  // Sends what is queued now (a chunk boundary). Same errors as AddOp.
  absl::Status Flush();
  // Makes the whole stream a dry run from now on: the next chunk carries
  // dry_run, so the server validates everything and applies nothing. Used to
  // abandon an import safely while still collecting the server's verdict.
  void MarkDryRun();

  // Items handed to gRPC so far plus those queued.
  uint64_t items_added() const { return items_sent_ + queued_; }
  uint64_t items_sent() const { return items_sent_; }

  // Flushes, half-closes and waits for the server's answer. Errors: the
  // server's status (InvalidArgument with BatchErrors for refused items,
  // Unauthenticated, Unavailable, DeadlineExceeded...). Call once.
  absl::StatusOr<corsd::v1::ImportResponse> Finish();

 private:
  absl::Status SendChunk();

  corsd::v1::Admin::Stub* stub_;
  std::unique_ptr<grpc::ClientContext> context_;
  Options options_;
  std::string target_;
  corsd::v1::ImportResponse response_;
  std::unique_ptr<grpc::ClientWriter<corsd::v1::ImportChunk>> stream_;
  corsd::v1::ImportChunk chunk_;
  size_t queued_ = 0;
  size_t queued_bytes_ = 0;
  uint64_t items_sent_ = 0;
  bool dry_run_pending_ = false;
  bool broken_ = false;
  bool finished_ = false;
};

}  // namespace corsd::client

#endif  // CORSD_CLIENT_IMPORT_WRITER_H_
