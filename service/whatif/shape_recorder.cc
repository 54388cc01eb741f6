#include "service/whatif/shape_recorder.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "service/table/origin_table.h"

namespace corsd::whatif {
namespace {

constexpr uint32_t kEmptyTenant = table::kNoTenant;

bool PowerOfTwo(size_t n) { return n != 0 && (n & (n - 1)) == 0; }

size_t RoundUpPow2(size_t n) {
  size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

// Copies `value` (within its bound: FitsShape was checked) into `dst`.
template <size_t N>
uint16_t Put(absl::string_view value, char (&dst)[N]) {
  const size_t n = std::min(value.size(), N);
  if (n > 0) std::memcpy(dst, value.data(), n);
  return static_cast<uint16_t>(n);
}

}  // namespace

// One new shape, copied out of the event's views. Plain bytes.
struct ShapeRecorder::Record {
  uint64_t fp;
  uint32_t tenant;
  uint32_t now_s;
  uint32_t weight;  // decisions this one stands for (sampling)
  uint8_t door;
  uint8_t flags;  // bit 0 origin, 1 ACRM, 2 ACRH, 3 PNA, 4 credentials
  uint16_t tenant_len, method_len, origin_len, host_len, path_len, acrm_len,
      acrh_len, pna_len, upgrade_len, connection_len;
  char tenant_name[kMaxShapeTenantBytes];
  char method[kMaxShapeMethodBytes];
  char origin[kMaxShapeOriginBytes];
  char host[kMaxShapeHostBytes];
  char path[kMaxShapePathBytes];
  char acrm[kMaxShapeRequestMethodBytes];
  char acrh[kMaxShapeRequestHeadersBytes];
  char pna[kMaxShapePrivateNetworkBytes];
  char upgrade[kMaxShapeUpgradeBytes];
  char connection[kMaxShapeConnectionBytes];
};

// One shape's fingerprint and counters in a tenant's array.
struct ShapeRecorder::FpSlot {
  // 0 = empty. Stored once, with release, by the background thread after
  // count and last_s; loaded with acquire by deciders.
  std::atomic<uint64_t> fp{0};
  // Relaxed: independent counters (see the file comment).
  std::atomic<uint64_t> count{0};
  std::atomic<uint32_t> last_s{0};
};

struct ShapeRecorder::FpTable {
  explicit FpTable(size_t slots_n)
      : slots(new FpSlot[slots_n]), mask(slots_n - 1) {}
  std::unique_ptr<FpSlot[]> slots;
  const size_t mask;
  // Shapes inserted; written by the background thread, read by deciders
  // (relaxed: a stale read only enqueues a record the background thread
  // then drops as over quota).
  std::atomic<uint32_t> size{0};
};

struct ShapeRecorder::DirSlot {
  // kEmptyTenant, or the TenantId whose `table` this is. Stored with release
  // after `table` is set; loaded with acquire.
  std::atomic<uint32_t> id{kEmptyTenant};
  FpTable* table = nullptr;    // owned by the TenantData; set before `id`
  TenantData* data = nullptr;  // the background thread's only
};

struct ShapeRecorder::TenantData {
  struct Kept {
    Shape shape;
    FpSlot* slot;
  };
  std::string name;
  uint32_t id = kEmptyTenant;
  std::unique_ptr<FpTable> table;
  std::vector<Kept> shapes;
  absl::flat_hash_map<uint64_t, size_t> by_fp;  // fingerprint -> shapes index
};

absl::StatusOr<std::unique_ptr<ShapeRecorder>> ShapeRecorder::Create(
    ShapeRecorderOptions options) {
  if (options.shapes_per_tenant < 1 ||
      options.shapes_per_tenant > kMaxShapesPerTenant) {
    return absl::InvalidArgumentError(
        absl::StrCat("--whatif-shapes-per-tenant ", options.shapes_per_tenant,
                     ": expected 1 to ", kMaxShapesPerTenant));
  }
  if (options.sample_one_in < 1 || options.sample_one_in > kMaxSampleOneIn ||
      !PowerOfTwo(options.sample_one_in)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--whatif-sample ", options.sample_one_in,
                     ": expected a power of two from 1 to ", kMaxSampleOneIn));
  }
  if (options.max_tenants < 1 || options.max_tenants > kMaxTrackedTenants) {
    return absl::InvalidArgumentError(
        absl::StrCat("--whatif-tenants ", options.max_tenants,
                     ": expected 1 to ", kMaxTrackedTenants));
  }
  if (!PowerOfTwo(options.ring_records) || options.ring_records < 2 ||
      options.ring_records > kMaxRingRecords) {
    return absl::InvalidArgumentError(
        absl::StrCat("ring_records ", options.ring_records,
                     ": expected a power of two from 2 to ", kMaxRingRecords));
  }
  if (options.max_shape_bytes < (size_t{1} << 20)) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_shape_bytes ", options.max_shape_bytes,
                     ": expected at least 1 MiB"));
  }
  if (options.poll <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("poll: expected a positive duration");
  }
  std::unique_ptr<ShapeRecorder> recorder(
      new ShapeRecorder(std::move(options)));
  recorder->thread_ = std::thread([r = recorder.get()] { r->Loop(); });
  return recorder;
}

ShapeRecorder::ShapeRecorder(ShapeRecorderOptions options)
    : options_(std::move(options)),
      sample_mask_(options_.sample_one_in - 1),
      fp_slots_(RoundUpPow2(2 * options_.shapes_per_tenant)),
      start_ms_(NowMs()),
      dir_(new DirSlot[RoundUpPow2(2 * options_.max_tenants)]),
      dir_mask_(RoundUpPow2(2 * options_.max_tenants) - 1),
      ring_(
          std::make_unique<door::BoundedRing<Record>>(options_.ring_records)) {}

ShapeRecorder::~ShapeRecorder() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int64_t ShapeRecorder::NowMs() const {
  if (options_.now_unix_ms) return options_.now_unix_ms();
  return absl::ToUnixMillis(absl::Now());
}

uint32_t ShapeRecorder::SecondsAt(int64_t now_ms) const {
  const int64_t s = (now_ms - start_ms_) / 1000;
  return s <= 0 ? 0 : static_cast<uint32_t>(std::min<int64_t>(s, UINT32_MAX));
}

const ShapeRecorder::FpTable* ShapeRecorder::FindTable(uint32_t tenant) const {
  for (size_t i = (tenant * size_t{0x9E3779B1u}) & dir_mask_;;
       i = (i + 1) & dir_mask_) {
    // Acquire: pairs with the background thread's release store of the id,
    // so `table` (set before it) is visible.
    const uint32_t id = dir_[i].id.load(std::memory_order_acquire);
    if (id == tenant) return dir_[i].table;
    // The directory holds at most max_tenants ids in 2 x max_tenants slots,
    // so an empty slot ends every probe.
    if (id == kEmptyTenant) return nullptr;
  }
}

void ShapeRecorder::OnDecision(const door::DecisionEvent& event) {
  if ((event.id & sample_mask_) != 0) return;  // not sampled
  // A sampled decision stands for sample_one_in of them; one without an id
  // (0) was not sampled, so it stands for itself.
  const uint32_t weight =
      event.id == 0 ? 1 : static_cast<uint32_t>(sample_mask_ + 1);
  const uint32_t tenant = event.decision.tenant;
  if (tenant == table::kNoTenant) return;
  const decision::Request& r = event.request;
  if (!FitsShape(r) || event.tenant.size() > kMaxShapeTenantBytes) {
    dropped_too_large_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const Door door = DoorOf(event.door);
  const uint64_t fp = ShapeFingerprint(door, r);
  const uint32_t now_s = now_s_.load(std::memory_order_relaxed);
  if (const FpTable* t = FindTable(tenant); t != nullptr) {
    for (size_t i = fp & t->mask;; i = (i + 1) & t->mask) {
      FpSlot& slot = t->slots[i];
      // Acquire: pairs with the insert's release (count initialized first).
      const uint64_t key = slot.fp.load(std::memory_order_acquire);
      if (key == fp) {
        slot.count.fetch_add(weight, std::memory_order_relaxed);
        if (slot.last_s.load(std::memory_order_relaxed) != now_s) {
          slot.last_s.store(now_s, std::memory_order_relaxed);
        }
        return;
      }
      // At most shapes_per_tenant keys in 2 x as many slots: a probe always
      // ends at an empty one.
      if (key == 0) break;
    }
    if (t->size.load(std::memory_order_relaxed) >= options_.shapes_per_tenant) {
      dropped_tenant_full_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  } else if (tenants_.load(std::memory_order_relaxed) >= options_.max_tenants) {
    dropped_tenant_cap_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (memory_full_.load(std::memory_order_relaxed)) {
    dropped_memory_.fetch_add(1, std::memory_order_relaxed);
    return;
  }

  uint64_t pos = 0;
  Record* claimed = ring_->TryClaim(&pos);
  if (claimed == nullptr) {
    // The consumer has not freed the next cell yet: the ring is full.
    dropped_ring_full_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  Record& rec = *claimed;
  rec.fp = fp;
  rec.tenant = tenant;
  rec.now_s = now_s;
  rec.weight = weight;
  rec.door = static_cast<uint8_t>(door);
  rec.flags = static_cast<uint8_t>(
      (r.has_origin ? 1 : 0) | (r.has_access_control_request_method ? 2 : 0) |
      (r.has_access_control_request_headers ? 4 : 0) |
      (r.has_access_control_request_private_network ? 8 : 0) |
      (r.credentials ? 16 : 0));
  rec.tenant_len = Put(event.tenant, rec.tenant_name);
  rec.method_len = Put(r.method, rec.method);
  rec.origin_len = Put(r.origin, rec.origin);
  rec.host_len = Put(r.host, rec.host);
  rec.path_len = Put(ShapePath(r.path), rec.path);
  rec.acrm_len = Put(r.access_control_request_method, rec.acrm);
  rec.acrh_len = Put(r.access_control_request_headers, rec.acrh);
  rec.pna_len = Put(r.access_control_request_private_network, rec.pna);
  rec.upgrade_len = Put(r.upgrade, rec.upgrade);
  rec.connection_len = Put(r.connection, rec.connection);
  ring_->Publish(pos);
}

void ShapeRecorder::InsertLocked(const Record& rec) {
  TenantData* data = nullptr;
  size_t dir_index = (rec.tenant * size_t{0x9E3779B1u}) & dir_mask_;
  for (;; dir_index = (dir_index + 1) & dir_mask_) {
    // Relaxed: this thread is the directory's only writer.
    const uint32_t id = dir_[dir_index].id.load(std::memory_order_relaxed);
    if (id == rec.tenant) data = dir_[dir_index].data;
    if (id == rec.tenant || id == kEmptyTenant) break;
  }
  if (data == nullptr) {
    if (tenant_data_.size() >= options_.max_tenants) {
      dropped_tenant_cap_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    auto d = std::make_unique<TenantData>();
    d->name.assign(rec.tenant_name, rec.tenant_len);
    d->id = rec.tenant;
    d->table = std::make_unique<FpTable>(fp_slots_);
    // dir_index is the empty slot that ended the probe above.
    dir_[dir_index].table = d->table.get();
    dir_[dir_index].data = d.get();
    // Release: `table` (and the array it names) before the id.
    dir_[dir_index].id.store(rec.tenant, std::memory_order_release);
    data = d.get();
    tenant_data_.push_back(std::move(d));
    // Relaxed: a hint for deciders (see tenants_).
    tenants_.store(static_cast<uint32_t>(tenant_data_.size()),
                   std::memory_order_relaxed);
  }
  if (auto it = data->by_fp.find(rec.fp); it != data->by_fp.end()) {
    FpSlot* slot = data->shapes[it->second].slot;
    slot->count.fetch_add(rec.weight, std::memory_order_relaxed);
    if (slot->last_s.load(std::memory_order_relaxed) < rec.now_s) {
      slot->last_s.store(rec.now_s, std::memory_order_relaxed);
    }
    return;
  }
  if (data->shapes.size() >= options_.shapes_per_tenant) {
    dropped_tenant_full_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  decision::Request r;
  r.method = absl::string_view(rec.method, rec.method_len);
  r.origin = absl::string_view(rec.origin, rec.origin_len);
  r.has_origin = (rec.flags & 1) != 0;
  r.host = absl::string_view(rec.host, rec.host_len);
  r.path = absl::string_view(rec.path, rec.path_len);
  r.access_control_request_method = absl::string_view(rec.acrm, rec.acrm_len);
  r.has_access_control_request_method = (rec.flags & 2) != 0;
  r.access_control_request_headers = absl::string_view(rec.acrh, rec.acrh_len);
  r.has_access_control_request_headers = (rec.flags & 4) != 0;
  r.access_control_request_private_network =
      absl::string_view(rec.pna, rec.pna_len);
  r.has_access_control_request_private_network = (rec.flags & 8) != 0;
  r.upgrade = absl::string_view(rec.upgrade, rec.upgrade_len);
  r.connection = absl::string_view(rec.connection, rec.connection_len);
  r.credentials = (rec.flags & 16) != 0;
  Shape shape = Shape::From(static_cast<Door>(rec.door), r);
  const size_t bytes = shape.Bytes();
  const uint64_t used = shape_bytes_.load(std::memory_order_relaxed);
  if (used + bytes > options_.max_shape_bytes) {
    // Relaxed: a hint for deciders (see memory_full_).
    memory_full_.store(true, std::memory_order_relaxed);
    dropped_memory_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  FpTable& t = *data->table;
  FpSlot* slot = nullptr;
  for (size_t i = rec.fp & t.mask;; i = (i + 1) & t.mask) {
    // Relaxed: this thread is the only writer of fingerprints.
    if (t.slots[i].fp.load(std::memory_order_relaxed) == 0) {
      slot = &t.slots[i];
      break;
    }
  }
  slot->count.store(rec.weight, std::memory_order_relaxed);
  slot->last_s.store(rec.now_s, std::memory_order_relaxed);
  // Release: count and last_s before the key deciders match on.
  slot->fp.store(rec.fp, std::memory_order_release);
  t.size.store(static_cast<uint32_t>(data->shapes.size() + 1),
               std::memory_order_relaxed);
  data->by_fp.emplace(rec.fp, data->shapes.size());
  data->shapes.push_back({std::move(shape), slot});
  shapes_.fetch_add(1, std::memory_order_relaxed);
  shape_bytes_.store(used + bytes, std::memory_order_relaxed);
}

size_t ShapeRecorder::Drain() {
  size_t n = 0;
  std::lock_guard<std::mutex> lock(mu_);
  for (;;) {
    const Record* rec = ring_->Front();
    if (rec == nullptr) break;
    InsertLocked(*rec);
    ring_->Pop();
    ++n;
  }
  drained_pos_ = ring_->read_position();
  return n;
}

void ShapeRecorder::Loop() {
  for (;;) {
    // Relaxed: a coarse clock (see now_s_).
    now_s_.store(SecondsAt(NowMs()), std::memory_order_relaxed);
    Drain();
    std::unique_lock<std::mutex> lock(mu_);
    ++drains_;
    progress_.notify_all();
    if (stop_) return;
    const uint64_t flushes = flush_requests_;
    wake_.wait_for(lock, absl::ToChronoNanoseconds(options_.poll),
                   [&] { return stop_ || flush_requests_ != flushes; });
  }
}

void ShapeRecorder::Flush() {
  // Relaxed: positions claimed before this call; their cells are published
  // by their producers (the wait below covers a publish still under way).
  const uint64_t target = ring_->claimed();
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t after = drains_ + 1;
  ++flush_requests_;
  wake_.notify_all();
  progress_.wait(lock, [&] {
    if (stop_) return true;
    if (drains_ >= after && drained_pos_ >= target) return true;
    if (drains_ >= after) {
      ++flush_requests_;  // a cell was still being published: go again
      wake_.notify_all();
    }
    return false;
  });
}

std::vector<RecordedShape> ShapeRecorder::Snapshot(
    absl::string_view tenant) const {
  std::vector<RecordedShape> out;
  absl::flat_hash_map<uint64_t, size_t> merged;
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::unique_ptr<TenantData>& d : tenant_data_) {
    if (d->name != tenant) continue;
    for (const TenantData::Kept& kept : d->shapes) {
      // Relaxed: report-only counters.
      const uint64_t count = kept.slot->count.load(std::memory_order_relaxed);
      const int64_t last =
          start_ms_ +
          int64_t{kept.slot->last_s.load(std::memory_order_relaxed)} * 1000;
      // Acquire not needed: fp is stable once inserted (this thread holds
      // mu_, under which it was written).
      const uint64_t fp = kept.slot->fp.load(std::memory_order_relaxed);
      auto [it, inserted] = merged.emplace(fp, out.size());
      if (inserted) {
        out.push_back({kept.shape, count, last});
      } else {
        out[it->second].count += count;
        out[it->second].last_seen_unix_ms =
            std::max(out[it->second].last_seen_unix_ms, last);
      }
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const RecordedShape& a, const RecordedShape& b) {
                     return a.count > b.count;
                   });
  return out;
}

ShapeRecorderStats ShapeRecorder::Stats() const {
  // Relaxed throughout: independent counters.
  ShapeRecorderStats s;
  s.tenants = tenants_.load(std::memory_order_relaxed);
  s.shapes = shapes_.load(std::memory_order_relaxed);
  s.shape_bytes = shape_bytes_.load(std::memory_order_relaxed);
  s.dropped_ring_full = dropped_ring_full_.load(std::memory_order_relaxed);
  s.dropped_tenant_full = dropped_tenant_full_.load(std::memory_order_relaxed);
  s.dropped_tenant_cap = dropped_tenant_cap_.load(std::memory_order_relaxed);
  s.dropped_too_large = dropped_too_large_.load(std::memory_order_relaxed);
  s.dropped_memory = dropped_memory_.load(std::memory_order_relaxed);
  return s;
}

void ShapeRecorder::RenderPrometheus(std::string* out) const {
  const ShapeRecorderStats s = Stats();
  absl::StrAppend(
      out,
      "# HELP corsd_whatif_shapes Distinct request shapes kept for what-if.\n"
      "# TYPE corsd_whatif_shapes gauge\ncorsd_whatif_shapes ",
      s.shapes,
      "\n# HELP corsd_whatif_tenants Tenants whose shapes are kept.\n"
      "# TYPE corsd_whatif_tenants gauge\ncorsd_whatif_tenants ",
      s.tenants,
      "\n# HELP corsd_whatif_shapes_dropped_total Decisions whose shape was "
      "not kept, by cause.\n# TYPE corsd_whatif_shapes_dropped_total "
      "counter\n");
  const std::pair<const char*, uint64_t> causes[] = {
      {"ring_full", s.dropped_ring_full},
      {"tenant_full", s.dropped_tenant_full},
      {"tenant_cap", s.dropped_tenant_cap},
      {"too_large", s.dropped_too_large},
      {"memory", s.dropped_memory}};
  for (const auto& [cause, n] : causes) {
    absl::StrAppend(out, "corsd_whatif_shapes_dropped_total{cause=\"", cause,
                    "\"} ", n, "\n");
  }
}

}  // namespace corsd::whatif
