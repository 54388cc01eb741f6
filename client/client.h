// Typed C++ clients for corsd's Decider and Admin services.
//
// Every call:
//   * runs on a channel shared per address (ChannelCache);
//   * has a deadline (ClientOptions::timeout for unary calls, spanning its
//     retries; stream_timeout for Import and Export);
//   * is retried with exponential backoff and jitter on UNAVAILABLE only
//     (unary calls; streams are not replayed), up to retry.max_attempts;
//   * carries "authorization: Bearer <token>" when a token file is set
//     (needed for Admin; Decider ignores it);
//   * returns absl::Status / StatusOr, converted in status.h: a refused admin
//     batch is InvalidArgument with the per-item BatchErrors (BatchErrorsOf).
// Admin writes are safe to retry: adding an entry that exists and removing
// one that does not are no-ops, and PutTenant replaces.
//
// Thread safety: clients are thread-safe (gRPC stubs are); an ImportWriter is
// used by one thread.
#ifndef CORSD_CLIENT_CLIENT_H_
#define CORSD_CLIENT_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/connection.h"
#include "client/import_writer.h"
#include "client/retry.h"
#include "corsd/v1/admin.grpc.pb.h"
#include "corsd/v1/decision.grpc.pb.h"

namespace corsd::client {

struct ClientOptions {
  ConnectionOptions connection;
  // Deadline of one unary call, all its retries included.
  absl::Duration timeout = absl::Seconds(10);
  // Deadline of one Import or Export stream.
  absl::Duration stream_timeout = absl::Minutes(30);
  RetryPolicy retry;
};

// Calls the decision API.
class DeciderClient {
 public:
  // Errors: as ChannelCache::Get and ReadTokenFile (when a token file is
  // set). `cache` may be null (a private cache is used); otherwise it must
  // outlive the client.
  static absl::StatusOr<std::unique_ptr<DeciderClient>> Create(
      const ClientOptions& options, ChannelCache* cache = nullptr);

  absl::StatusOr<corsd::v1::Decision> Decide(
      const corsd::v1::DecideRequest& request) const;
  // At most 1000 requests (the server refuses more with InvalidArgument).
  absl::StatusOr<corsd::v1::DecideBatchResponse> DecideBatch(
      const corsd::v1::DecideBatchRequest& request) const;

 private:
  DeciderClient() = default;
  ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::shared_ptr<grpc::CallCredentials> call_credentials_;
  std::unique_ptr<corsd::v1::Decider::Stub> stub_;
  friend struct CallHelper;
};

// Calls the admin API.
class AdminClient {
 public:
  // As DeciderClient::Create.
  static absl::StatusOr<std::unique_ptr<AdminClient>> Create(
      const ClientOptions& options, ChannelCache* cache = nullptr);

  absl::StatusOr<corsd::v1::PutTenantResponse> PutTenant(
      const corsd::v1::PutTenantRequest& request) const;
  absl::StatusOr<corsd::v1::TenantInfo> GetTenant(absl::string_view id) const;
  absl::StatusOr<corsd::v1::ListTenantsResponse> ListTenants(
      const corsd::v1::ListTenantsRequest& request) const;
  // Every tenant, following page tokens (page_size per call).
  absl::Status ForEachTenant(
      absl::FunctionRef<void(const corsd::v1::TenantInfo&)> visit,
      uint32_t page_size = 1000) const;
  absl::StatusOr<corsd::v1::DeleteTenantResponse> DeleteTenant(
      absl::string_view id) const;
  absl::StatusOr<corsd::v1::WriteEntriesResponse> WriteEntries(
      const corsd::v1::WriteEntriesRequest& request) const;
  absl::StatusOr<corsd::v1::ListEntriesResponse> ListEntries(
      const corsd::v1::ListEntriesRequest& request) const;
  // Every entry of one kind of a tenant, in order, following page tokens.
  absl::Status ForEachEntry(absl::string_view tenant, corsd::v1::EntryKind kind,
                            absl::FunctionRef<void(const std::string&)> visit,
                            uint32_t page_size = 10000) const;
  absl::StatusOr<corsd::v1::StatsResponse> Stats() const;
  absl::StatusOr<corsd::v1::LookupOriginResponse> LookupOrigin(
      absl::string_view origin) const;
  // Admin.WhatIf: the tenant's shapes replayed against a proposed change
  // (changes nothing: retried like a read).
  absl::StatusOr<corsd::v1::WhatIfResponse> WhatIf(
      const corsd::v1::WhatIfRequest& request) const;
  // The per-tenant view's most refused origins (a read: retried).
  absl::StatusOr<corsd::v1::TopRefusedResponse> TopRefused(
      const corsd::v1::TopRefusedRequest& request) const;

  // Custom domains. AddDomain is idempotent (adding a domain the tenant has
  // returns it unchanged, revision 0), so its retries are safe. RemoveDomain
  // is not: a retry after a removal whose answer was lost is NotFound.
  // VerifyDomain makes one proof attempt on the server before answering
  // (DNS or HTTP: allow for the server's proof timeout in the deadline).
  absl::StatusOr<corsd::v1::DomainInfo> AddDomain(
      const corsd::v1::AddDomainRequest& request) const;
  absl::StatusOr<corsd::v1::DomainInfo> VerifyDomain(
      absl::string_view tenant, absl::string_view host) const;
  absl::StatusOr<corsd::v1::DomainInfo> GetDomain(absl::string_view tenant,
                                                  absl::string_view host) const;
  absl::StatusOr<corsd::v1::ListDomainsResponse> ListDomains(
      const corsd::v1::ListDomainsRequest& request) const;
  // Every domain of `tenant` (empty: every tenant) in `state` (UNSPECIFIED:
  // all), sorted by (tenant, host), following page tokens.
  absl::Status ForEachDomain(
      absl::string_view tenant, corsd::v1::DomainState state,
      absl::FunctionRef<void(const corsd::v1::CustomDomain&)> visit,
      uint32_t page_size = 1000) const;
  absl::StatusOr<corsd::v1::RemoveDomainResponse> RemoveDomain(
      absl::string_view tenant, absl::string_view host) const;

  // Streams the server's snapshot to `sink`, chunk by chunk; `sink` returns
  // false to stop (then Cancelled). Not retried: a failure after the first
  // chunk would duplicate data in the sink.
  absl::Status Export(
      absl::FunctionRef<bool(const corsd::v1::ExportChunk&)> sink) const;

  // Opens a bulk import stream (see import_writer.h). Never fails here:
  // connection errors surface from the writer's calls.
  std::unique_ptr<ImportWriter> StartImport(
      const ImportWriter::Options& options) const;

 private:
  AdminClient() = default;
  ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::shared_ptr<grpc::CallCredentials> call_credentials_;
  std::unique_ptr<corsd::v1::Admin::Stub> stub_;
  friend struct CallHelper;
};

}  // namespace corsd::client

#endif  // CORSD_CLIENT_CLIENT_H_
