#include "bench/load/requests.h"

#include "absl/strings/str_cat.h"

namespace corsd::bench {
namespace {

constexpr char kHost[] = "api.saas.example";
constexpr char kPath[] = "/v1/items?page=2";

}  // namespace

corsd::v1::Policy BenchPolicy() {
  corsd::v1::Policy p;
  for (const char* m : {"PUT", "PATCH", "DELETE"}) p.add_allowed_methods(m);
  for (const char* h : {"authorization", "content-type", "x-request-id"}) {
    p.add_allowed_headers(h);
  }
  for (const char* h : {"x-request-id", "x-ratelimit-remaining"}) {
    p.add_exposed_headers(h);
  }
  p.set_allow_credentials(true);
  p.set_max_age_seconds(7200);
  p.set_enforce_unsafe_methods(true);
  return p;
}

absl::Status ForEachImportChunk(
    const DatasetSpec& spec, size_t chunk_items,
    const std::function<absl::Status(const corsd::v1::ImportChunk&)>& emit) {
  if (chunk_items < 1 || chunk_items > 100'000) {
    return absl::InvalidArgumentError(
        absl::StrCat("chunk_items = ", chunk_items, ": expected 1..100000"));
  }
  corsd::v1::ImportChunk chunk;
  auto flush = [&]() -> absl::Status {
    if (chunk.tenants_size() == 0 && chunk.ops_size() == 0) {
      return absl::OkStatus();
    }
    absl::Status s = emit(chunk);
    chunk.Clear();
    return s;
  };
  const corsd::v1::Policy policy = BenchPolicy();
  for (uint32_t t = 0; t < spec.tenants; ++t) {
    corsd::v1::Tenant* tenant = chunk.add_tenants();
    tenant->set_id(TenantId(t));
    *tenant->mutable_policy() = policy;
    if (static_cast<size_t>(chunk.tenants_size()) == chunk_items) {
      if (absl::Status s = flush(); !s.ok()) return s;
    }
  }
  for (uint64_t j = 0; j < spec.origins; ++j) {
    corsd::v1::EntryOp* op = chunk.add_ops();
    op->set_op(corsd::v1::EntryOp::OP_ADD);
    op->set_kind(corsd::v1::ENTRY_KIND_ORIGIN);
    op->set_tenant(TenantId(TenantOf(spec, j)));
    op->set_value(OriginAt(j));
    if (static_cast<size_t>(chunk.tenants_size() + chunk.ops_size()) >=
        chunk_items) {
      if (absl::Status s = flush(); !s.ok()) return s;
    }
  }
  return flush();
}

void FillDecideRequest(const TrafficItem& item, uint64_t id,
                       corsd::v1::DecideRequest* out) {
  out->Clear();
  out->set_tenant(TenantId(item.tenant));
  out->set_id(id);
  corsd::v1::HttpRequest* r = out->mutable_request();
  r->set_method(item.method);
  r->set_scheme("https");
  r->set_host(kHost);
  r->set_path(kPath);
  if (!item.origin.empty()) r->set_origin(item.origin);
  if (item.kind == RequestKind::kPreflight) {
    r->set_access_control_request_method(kPreflightMethod);
    r->set_access_control_request_headers(kPreflightHeaders);
  }
  r->set_credentials(item.credentials);
}

void FillCheckRequest(const TrafficItem& item,
                      envoy::service::auth::v3::CheckRequest* out) {
  out->Clear();
  auto* attrs = out->mutable_attributes();
  (*attrs->mutable_context_extensions())["tenant"] = TenantId(item.tenant);
  auto* http = attrs->mutable_request()->mutable_http();
  http->set_id("7f9c2b1e4d5a6c3b");
  http->set_method(item.method);
  http->set_host(kHost);
  http->set_path(kPath);
  http->set_scheme("https");
  http->set_protocol("HTTP/2");
  auto& h = *http->mutable_headers();
  h[":authority"] = kHost;
  h[":method"] = item.method;
  h[":path"] = kPath;
  h[":scheme"] = "https";
  h["accept"] = "application/json";
  h["user-agent"] =
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/120.0.0.0 Safari/537.36";
  h["x-request-id"] = "2c1f7d9e-5b3a-4e8f-9a6d-0b1c2d3e4f5a";
  if (!item.origin.empty()) h["origin"] = item.origin;
  if (item.credentials) h["cookie"] = "session=8d7f6e5a4b3c2d1e";
  if (item.kind == RequestKind::kPreflight) {
    h["access-control-request-method"] = kPreflightMethod;
    h["access-control-request-headers"] = kPreflightHeaders;
  }
}

}  // namespace corsd::bench
