// Store helpers shared by every backend: entry kind names, the batch
// encoding of the change log, and the --store factory.
#include "service/store/store.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "service/store/postgres_store.h"
#include "service/store/sqlite_store.h"

namespace corsd::store {

absl::string_view EntryKindName(EntryKind kind) {
  switch (kind) {
    case EntryKind::kOrigin:
      return "origin";
    case EntryKind::kWildcard:
      return "wildcard";
    case EntryKind::kApiHost:
      return "api_host";
  }
  return "unknown";
}

bool ParseEntryKind(absl::string_view name, EntryKind* kind) {
  for (EntryKind k :
       {EntryKind::kOrigin, EntryKind::kWildcard, EntryKind::kApiHost}) {
    if (name == EntryKindName(k)) {
      *kind = k;
      return true;
    }
  }
  return false;
}

namespace {

// Batch encoding, version 1:
//   byte 0x01, varint count, then per mutation:
//   byte type, byte kind, varint len, tenant bytes, varint len, value bytes,
//   and for kPutDomain only (type 5, added with custom domains; older
//   batches never hold it): varint len, data bytes.
constexpr char kBatchFormat = 0x01;

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint(absl::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && !in->empty(); shift += 7) {
    const uint8_t byte = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

bool GetView(absl::string_view* in, absl::string_view* out) {
  uint64_t len;
  if (!GetVarint(in, &len) || len > in->size()) return false;
  *out = in->substr(0, len);
  in->remove_prefix(len);
  return true;
}

}  // namespace

size_t EncodedSizeBound(const Batch& batch) {
  // Format byte + count varint; per mutation type, kind and two length
  // varints (store.h).
  size_t size = 16;
  for (const Mutation& m : batch) {
    size += m.tenant.size() + m.value.size() + m.data.size() + 12;
  }
  return size;
}

std::string EncodeBatch(const Batch& batch) {
  std::string out;
  out.reserve(EncodedSizeBound(batch));
  out.push_back(kBatchFormat);
  PutVarint(&out, batch.size());
  for (const Mutation& m : batch) {
    out.push_back(static_cast<char>(m.type));
    out.push_back(static_cast<char>(m.kind));
    PutVarint(&out, m.tenant.size());
    out.append(m.tenant);
    PutVarint(&out, m.value.size());
    out.append(m.value);
    if (m.type == Mutation::Type::kPutDomain) {
      PutVarint(&out, m.data.size());
      out.append(m.data);
    }
  }
  return out;
}

absl::StatusOr<std::vector<MutationView>> DecodeBatchViews(
    absl::string_view bytes) {
  auto corrupt = [&](absl::string_view what) {
    return absl::DataLossError(absl::StrCat("change log batch (", bytes.size(),
                                            " bytes) is malformed: ", what));
  };
  absl::string_view in = bytes;
  if (in.empty() || in.front() != kBatchFormat) {
    return corrupt("expected format byte 0x01");
  }
  in.remove_prefix(1);
  uint64_t count;
  if (!GetVarint(&in, &count)) return corrupt("truncated count");
  // Each mutation takes at least 4 bytes: a bound before reserving.
  if (count > in.size() / 4 + 1) return corrupt("count exceeds the data");
  std::vector<MutationView> batch(count);
  for (MutationView& m : batch) {
    if (in.size() < 2) return corrupt("truncated mutation");
    const uint8_t type = static_cast<uint8_t>(in[0]);
    const uint8_t kind = static_cast<uint8_t>(in[1]);
    in.remove_prefix(2);
    if (type < 1 || type > 6) return corrupt("unknown mutation type");
    if (kind < 1 || kind > 3) return corrupt("unknown entry kind");
    m.type = static_cast<Mutation::Type>(type);
    m.kind = static_cast<EntryKind>(kind);
    if (!GetView(&in, &m.tenant) || !GetView(&in, &m.value)) {
      return corrupt("truncated string");
    }
    if (m.type == Mutation::Type::kPutDomain && !GetView(&in, &m.data)) {
      return corrupt("truncated domain record");
    }
  }
  if (!in.empty()) return corrupt("trailing bytes");
  return batch;
}

absl::StatusOr<Batch> DecodeBatch(absl::string_view bytes) {
  absl::StatusOr<std::vector<MutationView>> views = DecodeBatchViews(bytes);
  if (!views.ok()) return views.status();
  Batch batch;
  batch.reserve(views->size());
  for (const MutationView& v : *views) {
    batch.push_back({v.type, v.kind, std::string(v.tenant),
                     std::string(v.value), std::string(v.data)});
  }
  return batch;
}

absl::StatusOr<std::unique_ptr<Store::Lease>> Store::TryLease(
    absl::string_view) {
  return std::make_unique<Lease>();
}

absl::StatusOr<std::unique_ptr<Store>> OpenStore(absl::string_view store_url,
                                                 absl::string_view data_dir) {
  if (store_url.empty()) {
    if (data_dir.empty()) {
      return absl::InvalidArgumentError(
          "--data-dir is empty: the embedded store needs a directory (or "
          "give --store postgres://...)");
    }
    auto store = SqliteStore::Open(data_dir);
    if (!store.ok()) return store.status();
    return std::unique_ptr<Store>(std::move(*store));
  }
  if (absl::StartsWith(store_url, "postgres://") ||
      absl::StartsWith(store_url, "postgresql://")) {
    auto store = PostgresStore::Open(store_url);
    if (!store.ok()) return store.status();
    return std::unique_ptr<Store>(std::move(*store));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--store \"", store_url.substr(0, 64),
      "\" is not supported: expected empty (embedded SQLite in --data-dir) "
      "or a postgres:// or postgresql:// URL"));
}

}  // namespace corsd::store
