#include "client/client.h"

#include <grpcpp/client_context.h>

#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "client/status.h"

namespace corsd::client {

// Runs unary calls with deadline, credentials and retries; a friend of both
// clients so the stubs stay private.
struct CallHelper {
  template <typename Client, typename Stub, typename Request, typename Response>
  static absl::StatusOr<Response> Unary(
      const Client& client, absl::string_view name,
      grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                   Response*),
      const Request& request) {
    const absl::Time deadline = absl::Now() + client.options_.timeout;
    const std::string context =
        absl::StrCat(name, " at ", client.options_.connection.addr);
    Response response;
    absl::BitGen gen;
    absl::Status status = RetryUnavailable(
        client.options_.retry, deadline,
        [&]() -> absl::Status {
          grpc::ClientContext ctx;
          ctx.set_deadline(absl::ToChronoTime(deadline));
          if (client.call_credentials_) {
            ctx.set_credentials(client.call_credentials_);
          }
          response.Clear();
          return FromGrpcStatus(
              (client.stub_.get()->*method)(&ctx, request, &response), context);
        },
        [](absl::Duration d) { absl::SleepFor(d); }, [] { return absl::Now(); },
        gen);
    if (!status.ok()) return status;
    return response;
  }

  template <typename Client>
  static std::unique_ptr<grpc::ClientContext> StreamContext(
      const Client& client) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(
        absl::ToChronoTime(absl::Now() + client.options_.stream_timeout));
    if (client.call_credentials_)
      ctx->set_credentials(client.call_credentials_);
    return ctx;
  }

  template <typename Client>
  static absl::Status Init(const ClientOptions& options, ChannelCache* cache,
                           Client* client) {
    ChannelCache private_cache;
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        (cache != nullptr ? cache : &private_cache)->Get(options.connection);
    if (!channel.ok()) return channel.status();
    client->options_ = options;
    client->channel_ = *std::move(channel);
    if (!options.connection.token_file.empty()) {
      absl::StatusOr<std::string> token =
          ReadTokenFile(options.connection.token_file);
      if (!token.ok()) return token.status();
      client->call_credentials_ = BearerTokenCredentials(*std::move(token));
    }
    return absl::OkStatus();
  }
};

absl::StatusOr<std::unique_ptr<DeciderClient>> DeciderClient::Create(
    const ClientOptions& options, ChannelCache* cache) {
  std::unique_ptr<DeciderClient> client(new DeciderClient());
  absl::Status status = CallHelper::Init(options, cache, client.get());
  if (!status.ok()) return status;
  client->stub_ = corsd::v1::Decider::NewStub(client->channel_);
  return client;
}

absl::StatusOr<corsd::v1::Decision> DeciderClient::Decide(
    const corsd::v1::DecideRequest& request) const {
  absl::StatusOr<corsd::v1::DecideResponse> response = CallHelper::Unary(
      *this, "Decider.Decide", &corsd::v1::Decider::Stub::Decide, request);
  if (!response.ok()) return response.status();
  return std::move(*response->mutable_decision());
}

absl::StatusOr<corsd::v1::DecideBatchResponse> DeciderClient::DecideBatch(
    const corsd::v1::DecideBatchRequest& request) const {
  return CallHelper::Unary(*this, "Decider.DecideBatch",
                           &corsd::v1::Decider::Stub::DecideBatch, request);
}

absl::StatusOr<std::unique_ptr<AdminClient>> AdminClient::Create(
    const ClientOptions& options, ChannelCache* cache) {
  std::unique_ptr<AdminClient> client(new AdminClient());
  absl::Status status = CallHelper::Init(options, cache, client.get());
  if (!status.ok()) return status;
  client->stub_ = corsd::v1::Admin::NewStub(client->channel_);
  return client;
}

absl::StatusOr<corsd::v1::PutTenantResponse> AdminClient::PutTenant(
    const corsd::v1::PutTenantRequest& request) const {
  return CallHelper::Unary(*this, "Admin.PutTenant",
                           &corsd::v1::Admin::Stub::PutTenant, request);
}

absl::StatusOr<corsd::v1::TenantInfo> AdminClient::GetTenant(
    absl::string_view id) const {
  corsd::v1::GetTenantRequest request;
  request.set_id(std::string(id));
  return CallHelper::Unary(*this, "Admin.GetTenant",
                           &corsd::v1::Admin::Stub::GetTenant, request);
}

absl::StatusOr<corsd::v1::ListTenantsResponse> AdminClient::ListTenants(
    const corsd::v1::ListTenantsRequest& request) const {
  return CallHelper::Unary(*this, "Admin.ListTenants",
                           &corsd::v1::Admin::Stub::ListTenants, request);
}

absl::Status AdminClient::ForEachTenant(
    absl::FunctionRef<void(const corsd::v1::TenantInfo&)> visit,
    uint32_t page_size) const {
  corsd::v1::ListTenantsRequest request;
  request.set_page_size(page_size);
  while (true) {
    absl::StatusOr<corsd::v1::ListTenantsResponse> page = ListTenants(request);
    if (!page.ok()) return page.status();
    for (const corsd::v1::TenantInfo& info : page->tenants()) visit(info);
    if (page->next_page_token().empty()) return absl::OkStatus();
    request.set_page_token(page->next_page_token());
  }
}

absl::StatusOr<corsd::v1::DeleteTenantResponse> AdminClient::DeleteTenant(
    absl::string_view id) const {
  corsd::v1::DeleteTenantRequest request;
  request.set_id(std::string(id));
  return CallHelper::Unary(*this, "Admin.DeleteTenant",
                           &corsd::v1::Admin::Stub::DeleteTenant, request);
}

absl::StatusOr<corsd::v1::WriteEntriesResponse> AdminClient::WriteEntries(
    const corsd::v1::WriteEntriesRequest& request) const {
  return CallHelper::Unary(*this, "Admin.WriteEntries",
                           &corsd::v1::Admin::Stub::WriteEntries, request);
}

absl::StatusOr<corsd::v1::ListEntriesResponse> AdminClient::ListEntries(
    const corsd::v1::ListEntriesRequest& request) const {
  return CallHelper::Unary(*this, "Admin.ListEntries",
                           &corsd::v1::Admin::Stub::ListEntries, request);
}

absl::Status AdminClient::ForEachEntry(
    absl::string_view tenant, corsd::v1::EntryKind kind,
    absl::FunctionRef<void(const std::string&)> visit,
    uint32_t page_size) const {
  corsd::v1::ListEntriesRequest request;
  request.set_tenant(std::string(tenant));
  request.set_kind(kind);
  request.set_page_size(page_size);
  while (true) {
    absl::StatusOr<corsd::v1::ListEntriesResponse> page = ListEntries(request);
    if (!page.ok()) return page.status();
    for (const std::string& value : page->values()) visit(value);
    if (page->next_page_token().empty()) return absl::OkStatus();
    request.set_page_token(page->next_page_token());
  }
}

absl::StatusOr<corsd::v1::StatsResponse> AdminClient::Stats() const {
  return CallHelper::Unary(*this, "Admin.Stats", &corsd::v1::Admin::Stub::Stats,
                           corsd::v1::StatsRequest());
}

absl::StatusOr<corsd::v1::LookupOriginResponse> AdminClient::LookupOrigin(
    absl::string_view origin) const {
  corsd::v1::LookupOriginRequest request;
  request.set_origin(std::string(origin));
  return CallHelper::Unary(*this, "Admin.LookupOrigin",
                           &corsd::v1::Admin::Stub::LookupOrigin, request);
}

absl::StatusOr<corsd::v1::WhatIfResponse> AdminClient::WhatIf(
    const corsd::v1::WhatIfRequest& request) const {
  return CallHelper::Unary(*this, "Admin.WhatIf",
                           &corsd::v1::Admin::Stub::WhatIf, request);
}

absl::StatusOr<corsd::v1::TopRefusedResponse> AdminClient::TopRefused(
    const corsd::v1::TopRefusedRequest& request) const {
  return CallHelper::Unary(*this, "Admin.TopRefused",
                           &corsd::v1::Admin::Stub::TopRefused, request);
}

namespace {

corsd::v1::DomainRequest MakeDomainRequest(absl::string_view tenant,
                                           absl::string_view host) {
  corsd::v1::DomainRequest request;
  request.set_tenant(std::string(tenant));
  request.set_host(std::string(host));
  return request;
}

}  // namespace

absl::StatusOr<corsd::v1::DomainInfo> AdminClient::AddDomain(
    const corsd::v1::AddDomainRequest& request) const {
  return CallHelper::Unary(*this, "Admin.AddDomain",
                           &corsd::v1::Admin::Stub::AddDomain, request);
}

absl::StatusOr<corsd::v1::DomainInfo> AdminClient::VerifyDomain(
    absl::string_view tenant, absl::string_view host) const {
  return CallHelper::Unary(*this, "Admin.VerifyDomain",
                           &corsd::v1::Admin::Stub::VerifyDomain,
                           MakeDomainRequest(tenant, host));
}

absl::StatusOr<corsd::v1::DomainInfo> AdminClient::GetDomain(
    absl::string_view tenant, absl::string_view host) const {
  return CallHelper::Unary(*this, "Admin.GetDomain",
                           &corsd::v1::Admin::Stub::GetDomain,
                           MakeDomainRequest(tenant, host));
}

absl::StatusOr<corsd::v1::ListDomainsResponse> AdminClient::ListDomains(
    const corsd::v1::ListDomainsRequest& request) const {
  return CallHelper::Unary(*this, "Admin.ListDomains",
                           &corsd::v1::Admin::Stub::ListDomains, request);
}

absl::Status AdminClient::ForEachDomain(
    absl::string_view tenant, corsd::v1::DomainState state,
    absl::FunctionRef<void(const corsd::v1::CustomDomain&)> visit,
    uint32_t page_size) const {
  corsd::v1::ListDomainsRequest request;
  request.set_tenant(std::string(tenant));
  request.set_state(state);
  request.set_page_size(page_size);
  while (true) {
    absl::StatusOr<corsd::v1::ListDomainsResponse> page = ListDomains(request);
    if (!page.ok()) return page.status();
    for (const corsd::v1::CustomDomain& domain : page->domains()) {
      visit(domain);
    }
    if (page->next_page_token().empty()) return absl::OkStatus();
    request.set_page_token(page->next_page_token());
  }
}

absl::StatusOr<corsd::v1::RemoveDomainResponse> AdminClient::RemoveDomain(
    absl::string_view tenant, absl::string_view host) const {
  return CallHelper::Unary(*this, "Admin.RemoveDomain",
                           &corsd::v1::Admin::Stub::RemoveDomain,
                           MakeDomainRequest(tenant, host));
}

absl::Status AdminClient::Export(
    absl::FunctionRef<bool(const corsd::v1::ExportChunk&)> sink) const {
  std::unique_ptr<grpc::ClientContext> ctx = CallHelper::StreamContext(*this);
  std::unique_ptr<grpc::ClientReader<corsd::v1::ExportChunk>> reader =
      stub_->Export(ctx.get(), corsd::v1::ExportRequest());
  corsd::v1::ExportChunk chunk;
  while (reader->Read(&chunk)) {
    if (!sink(chunk)) {
      ctx->TryCancel();
      (void)reader->Finish();
      return absl::CancelledError("export stopped by the caller");
    }
  }
  return FromGrpcStatus(
      reader->Finish(),
      absl::StrCat("Admin.Export at ", options_.connection.addr));
}

std::unique_ptr<ImportWriter> AdminClient::StartImport(
    const ImportWriter::Options& options) const {
  return std::make_unique<ImportWriter>(stub_.get(),
                                        CallHelper::StreamContext(*this),
                                        options, options_.connection.addr);
}

}  // namespace corsd::client
