#include "client/import_writer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/status.h"

namespace corsd::client {

namespace {
constexpr size_t kServerMaxItems = 100000;
// Per-op framing: tags, lengths, enums (an upper bound for small values).
constexpr size_t kOpOverheadBytes = 16;
}  // namespace

ImportWriter::ImportWriter(corsd::v1::Admin::Stub* stub,
                           std::unique_ptr<grpc::ClientContext> context,
                           Options options, std::string target)
    : stub_(stub),
      context_(std::move(context)),
      options_(std::move(options)),
      target_(std::move(target)) {
  options_.max_items =
      std::clamp<size_t>(options_.max_items, 1, kServerMaxItems);
  options_.max_bytes = std::max<size_t>(options_.max_bytes, 1);
  dry_run_pending_ = options_.dry_run;
  stream_ = stub_->Import(context_.get(), &response_);
}

ImportWriter::~ImportWriter() {
  if (!finished_) context_->TryCancel();
}

absl::Status ImportWriter::SendChunk() {
  if (broken_) {
    return absl::AbortedError("the import stream was ended by the server");
  }
  if (dry_run_pending_) {
    chunk_.set_dry_run(true);
    dry_run_pending_ = false;
  }
  if (!stream_->Write(chunk_)) {
    broken_ = true;
    return absl::AbortedError("the import stream was ended by the server");
  }
  items_sent_ += queued_;
  queued_ = 0;
  queued_bytes_ = 0;
  chunk_.Clear();  // keeps the element objects for reuse
  if (options_.progress) options_.progress(items_sent_);
  return absl::OkStatus();
}

absl::Status ImportWriter::AddOp(corsd::v1::EntryOp::Op op,
                                 corsd::v1::EntryKind kind,
                                 absl::string_view tenant,
                                 absl::string_view value) {
  if (broken_) {
    return absl::AbortedError("the import stream was ended by the server");
  }
  corsd::v1::EntryOp* entry = chunk_.add_ops();
  entry->set_op(op);
  entry->set_kind(kind);
  entry->mutable_tenant()->assign(tenant.data(), tenant.size());
  entry->mutable_value()->assign(value.data(), value.size());
  ++queued_;
  queued_bytes_ += tenant.size() + value.size() + kOpOverheadBytes;
  if (queued_ >= options_.max_items || queued_bytes_ >= options_.max_bytes) {
    return SendChunk();
  }
  return absl::OkStatus();
}

absl::Status ImportWriter::AddTenant(const corsd::v1::Tenant& tenant) {
  if (chunk_.ops_size() > 0) {
    absl::Status status = SendChunk();
    if (!status.ok()) return status;
  }
  if (broken_) {
    return absl::AbortedError("the import stream was ended by the server");
  }
  *chunk_.add_tenants() = tenant;
  ++queued_;
  queued_bytes_ += tenant.ByteSizeLong() + kOpOverheadBytes;
  if (queued_ >= options_.max_items || queued_bytes_ >= options_.max_bytes) {
    return SendChunk();
  }
  return absl::OkStatus();
}

absl::Status ImportWriter::Flush() {
  if (queued_ == 0 && !dry_run_pending_) return absl::OkStatus();
  return SendChunk();
}

void ImportWriter::MarkDryRun() { dry_run_pending_ = true; }

absl::StatusOr<corsd::v1::ImportResponse> ImportWriter::Finish() {
  if (finished_) {
    return absl::FailedPreconditionError("ImportWriter::Finish called twice");
  }
  finished_ = true;
  if (!broken_ && (queued_ > 0 || dry_run_pending_)) {
    (void)SendChunk();  // a failure shows in the status below
  }
  if (!broken_) stream_->WritesDone();
  grpc::Status status = stream_->Finish();
  if (!status.ok()) {
    return FromGrpcStatus(status, absl::StrCat("Admin.Import at ", target_));
  }
  return response_;
}

}  // namespace corsd::client
