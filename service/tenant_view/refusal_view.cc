#include "service/tenant_view/refusal_view.h"

#include <pthread.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "service/table/origin_table.h"

namespace corsd::tenant_view {
namespace {

constexpr uint32_t kMaxTenantRate = 1000000;
constexpr size_t kMaxSlots = size_t{1} << 20;
constexpr size_t kMaxRecords = size_t{1} << 20;
constexpr size_t kMaxTopK = 1024;
constexpr size_t kMaxTenantCap = 65536;
constexpr size_t kMaxMetricsTop = 1000;
constexpr size_t kMaxLimit = 1000;
// Most records folded under one hold of state_mu_ (a query waits at most
// for one batch).
constexpr size_t kMaxBatch = 256;
// The window's epoch value of a slice that holds nothing.
constexpr int64_t kEmptyEpoch = std::numeric_limits<int64_t>::min() / 2;
// Separates tenant and origin in the shared sketch's keys (tenant ids are
// [a-z0-9._-], so no tenant contains it).
constexpr char kSep = '\0';

static_assert(RefusalMeta{}.tenant_id == table::kNoTenant);

bool PowerOfTwo(size_t n) { return n != 0 && (n & (n - 1)) == 0; }

// Bytes one counter may take: hash slots and control bytes (counted thrice:
// the map keeps its load factor above 7/16 once it holds its capacity), plus
// the longest key on the heap with allocator overhead.
constexpr size_t kCounterBytes =
    3 * (sizeof(std::pair<const std::string, SpaceSaving::Counter>) + 1) +
    kMaxTenantBytes + 1 + kMaxOriginBytes + 32;
// One entry of the tenant index, and a tenant's fixed part.
constexpr size_t kTenantBytes =
    2 * (sizeof(std::pair<const std::string, size_t>) + 1) + kMaxTenantBytes +
    32 + sizeof(size_t) + 256;

template <size_t N>
uint16_t CopyCut(absl::string_view value, char (&dst)[N], bool* cut) {
  static_assert(N <= 0xffff);
  size_t n = value.size();
  if (n > N) {
    n = N;
    *cut = true;
  }
  if (n > 0) std::memcpy(dst, value.data(), n);
  return static_cast<uint16_t>(n);
}

void AppendLabelValue(absl::string_view value, std::string* out) {
  for (const char c : value) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '"') {
      out->append("\\\"");
    } else if (c == '\n') {
      out->append("\\n");
    } else {
      out->push_back(c);
    }
  }
}

}  // namespace

// ---- SpaceSaving ----

SpaceSaving::SpaceSaving(size_t capacity)
    : capacity_(std::max<size_t>(1, capacity)) {}

void SpaceSaving::Add(absl::string_view key, const RefusalMeta& meta) {
  ++total_;
  auto it = counters_.find(key);
  if (it != counters_.end()) {
    Counter& c = it->second;
    ++c.count;
    if (meta.last_seen_unix_ms >= c.meta.last_seen_unix_ms) c.meta = meta;
    return;
  }
  if (counters_.size() < capacity_) {
    counters_.emplace(std::string(key), Counter{1, 0, meta});
    return;
  }
  auto min = counters_.begin();
  for (auto i = counters_.begin(); i != counters_.end(); ++i) {
    if (i->second.count < min->second.count) min = i;
  }
  const uint64_t m = min->second.count;
  counters_.erase(min);
  counters_.emplace(std::string(key), Counter{m + 1, m, meta});
}

void SpaceSaving::Clear() {
  counters_.clear();
  total_ = 0;
}

uint64_t SpaceSaving::min_count() const {
  if (!full()) return 0;
  uint64_t m = std::numeric_limits<uint64_t>::max();
  for (const auto& [key, c] : counters_) m = std::min(m, c.count);
  return m;
}

const SpaceSaving::Counter* SpaceSaving::Find(absl::string_view key) const {
  auto it = counters_.find(key);
  return it == counters_.end() ? nullptr : &it->second;
}

// ---- RefusalView ----

// One refusal, copied out of the event's views. Plain bytes.
struct RefusalView::Record {
  int64_t unix_ms;
  uint32_t tenant;
  uint8_t reason;
  uint8_t cause;
  bool has_origin;
  bool origin_cut;
  uint16_t tenant_len;
  uint16_t origin_len;
  char tenant_name[kMaxTenantBytes];
  char origin[kMaxOriginBytes];
};

// A tenant's (or the shared, or the no-tenant) sketches: slice i holds the
// refusals of epoch epochs[i] (epoch = time / slice_ms_), i = epoch mod
// kSlices.
struct RefusalView::TenantSketches {
  explicit TenantSketches(size_t k) {
    slices.reserve(kSlices);
    for (int i = 0; i < kSlices; ++i) slices.emplace_back(k);
    epochs.fill(kEmptyEpoch);
  }
  void Clear() {
    for (SpaceSaving& s : slices) s.Clear();
    epochs.fill(kEmptyEpoch);
  }
  // The slice for `epoch`, cleared first when it held an older epoch; null
  // when it holds a newer one (the record is older than the window).
  SpaceSaving* SliceFor(int64_t epoch) {
    const int i = static_cast<int>(((epoch % kSlices) + kSlices) % kSlices);
    if (epochs[i] > epoch) return nullptr;
    if (epochs[i] < epoch) {
      slices[i].Clear();
      epochs[i] = epoch;
    }
    return &slices[i];
  }
  // Whether slice i is inside the window ending in epoch `now`.
  bool Live(int i, int64_t now) const {
    return epochs[i] != kEmptyEpoch && epochs[i] > now - kSlices;
  }
  uint64_t WindowTotal(int64_t now) const {
    uint64_t n = 0;
    for (int i = 0; i < kSlices; ++i) {
      if (Live(i, now)) n += slices[i].total();
    }
    return n;
  }

  std::vector<SpaceSaving> slices;
  std::array<int64_t, kSlices> epochs;
  std::string name;                       // own sketches: the tenant
  uint32_t tenant_id = table::kNoTenant;  // its latest id (budget slot)
};

absl::StatusOr<std::unique_ptr<RefusalView>> RefusalView::Create(
    RefusalViewOptions options) {
  const int64_t window_ms = absl::ToInt64Milliseconds(options.window);
  if (options.window < absl::Seconds(10) || options.window > absl::Hours(24) ||
      absl::Milliseconds(window_ms) != options.window ||
      window_ms % kSlices != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tenant-view-window \"", absl::FormatDuration(options.window),
        "\": expected 10s to 24h, a whole number of milliseconds divisible "
        "by ",
        kSlices));
  }
  if (options.top_k < 1 || options.top_k > kMaxTopK) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tenant-view-top-k \"", options.top_k,
                     "\": expected 1 to ", kMaxTopK, " origins per tenant"));
  }
  if (options.tenant_cap < 1 || options.tenant_cap > kMaxTenantCap) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tenant-view-tenants \"", options.tenant_cap,
                     "\": expected 1 to ", kMaxTenantCap, " tenants"));
  }
  if (options.metrics_top > kMaxMetricsTop) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tenant-view-metrics-top \"", options.metrics_top,
                     "\": expected 0 to ", kMaxMetricsTop, " tenants"));
  }
  if (options.tenant_rate < 1 || options.tenant_rate > kMaxTenantRate) {
    return absl::InvalidArgumentError(
        absl::StrCat("tenant view tenant_rate ", options.tenant_rate,
                     ": expected 1 to ", kMaxTenantRate, " per second"));
  }
  if (!PowerOfTwo(options.tenant_slots) || options.tenant_slots > kMaxSlots) {
    return absl::InvalidArgumentError(
        absl::StrCat("tenant view tenant_slots ", options.tenant_slots,
                     ": expected a power of two up to ", kMaxSlots));
  }
  if (!PowerOfTwo(options.ring_records) || options.ring_records < 2 ||
      options.ring_records > kMaxRecords) {
    return absl::InvalidArgumentError(
        absl::StrCat("tenant view ring_records ", options.ring_records,
                     ": expected a power of two from 2 to ", kMaxRecords));
  }
  if (options.idle_poll <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tenant view idle_poll ", absl::FormatDuration(options.idle_poll),
        ": expected a positive duration"));
  }
  return std::unique_ptr<RefusalView>(new RefusalView(std::move(options)));
}

size_t RefusalView::MemoryBoundBytes(const RefusalViewOptions& o) {
  return o.tenant_cap * kSlices * o.top_k * kCounterBytes +
         2 * kSlices * kSharedFactor * o.top_k * kCounterBytes +
         o.ring_records * door::BoundedRing<Record>::CellBytes() +
         door::TenantBudgets::BytesFor(o.tenant_slots) +
         o.tenant_cap * kTenantBytes;
}

RefusalView::RefusalView(RefusalViewOptions options)
    : options_(std::move(options)),
      slice_ms_(absl::ToInt64Milliseconds(options_.window) / kSlices),
      ring_(std::make_unique<door::BoundedRing<Record>>(options_.ring_records)),
      budgets_(std::make_unique<door::TenantBudgets>(
          options_.tenant_slots, options_.tenant_rate,
          static_cast<uint32_t>(NowMs()))) {
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    own_.reserve(options_.tenant_cap);
    free_own_.reserve(options_.tenant_cap);
    for (size_t i = 0; i < options_.tenant_cap; ++i) {
      own_.push_back(std::make_unique<TenantSketches>(options_.top_k));
      free_own_.push_back(options_.tenant_cap - 1 - i);
    }
    own_index_.reserve(options_.tenant_cap);
    shared_ = std::make_unique<TenantSketches>(kSharedFactor * options_.top_k);
    no_tenant_ = std::make_unique<TenantSketches>(options_.top_k);
    last_sweep_epoch_ = EpochOf(NowMs());
  }
  folder_ = std::thread([this] { FolderLoop(); });
  pthread_setname_np(folder_.native_handle(), "corsd-tview");
}

RefusalView::~RefusalView() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    wake_.notify_one();
  }
  folder_.join();
}

int64_t RefusalView::NowMs() const {
  if (options_.now_unix_ms) return options_.now_unix_ms();
  timespec ts{};
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void RefusalView::OnDecision(const door::DecisionEvent& e) {
  const decision::Decision& d = e.decision;
  if (!door::IsRefusal(d.reason)) return;

  const int64_t now_ms = NowMs();
  if (!budgets_->Take(d.tenant, static_cast<uint32_t>(now_ms),
                      door::TenantBudgets::Spend::kAny)) {
    return;  // counted in the budget's drops
  }

  uint64_t pos = 0;
  Record* claimed = ring_->TryClaim(&pos);
  if (claimed == nullptr) {
    // The folder has not freed the next cell yet: the ring is full.
    dropped_ring_full_.fetch_add(1, std::memory_order_relaxed);  // a count
    return;
  }
  Record& r = *claimed;
  r.unix_ms = now_ms;
  r.tenant = d.tenant;
  r.reason = static_cast<uint8_t>(d.reason);
  r.cause = static_cast<uint8_t>(d.cause);
  r.has_origin = e.request.has_origin;
  bool tenant_cut = false;
  r.tenant_len = CopyCut(e.tenant, r.tenant_name, &tenant_cut);
  r.origin_cut = false;
  r.origin_len = e.request.has_origin
                     ? CopyCut(e.request.origin, r.origin, &r.origin_cut)
                     : 0;
  ring_->Publish(pos);
}

void RefusalView::Fold(const Record& r) {
  const absl::string_view tenant(r.tenant_name, r.tenant_len);
  const absl::string_view origin(r.origin, r.origin_len);
  const RefusalMeta meta{.reason = static_cast<decision::Reason>(r.reason),
                         .cause = static_cast<decision::Reason>(r.cause),
                         .has_origin = r.has_origin,
                         .origin_cut = r.origin_cut,
                         .last_seen_unix_ms = r.unix_ms,
                         .tenant_id = r.tenant};
  const int64_t epoch = EpochOf(r.unix_ms);
  ++folded_;
  if (r.tenant == table::kNoTenant || tenant.empty()) {
    if (SpaceSaving* s = no_tenant_->SliceFor(epoch)) s->Add(origin, meta);
    return;
  }
  TenantSketches* own = nullptr;
  if (auto it = own_index_.find(tenant); it != own_index_.end()) {
    own = own_[it->second].get();
  } else if (!free_own_.empty()) {
    const size_t i = free_own_.back();
    free_own_.pop_back();
    own = own_[i].get();
    own->Clear();
    own->name = std::string(tenant);
    own_index_.emplace(own->name, i);
  }
  if (own != nullptr) {
    own->tenant_id = r.tenant;
    if (SpaceSaving* s = own->SliceFor(epoch)) s->Add(origin, meta);
    return;
  }
  if (SpaceSaving* s = shared_->SliceFor(epoch)) {
    std::string key;
    key.reserve(tenant.size() + 1 + origin.size());
    key.append(tenant.data(), tenant.size());
    key.push_back(kSep);
    key.append(origin.data(), origin.size());
    s->Add(key, meta);
  }
}

void RefusalView::Sweep(int64_t now_ms) {
  const int64_t now = EpochOf(now_ms);
  if (now == last_sweep_epoch_) return;
  last_sweep_epoch_ = now;
  std::vector<std::string> idle;
  for (const auto& [name, i] : own_index_) {
    const TenantSketches& t = *own_[i];
    bool live = false;
    for (int s = 0; s < kSlices && !live; ++s) live = t.Live(s, now);
    if (!live) idle.push_back(name);
  }
  for (const std::string& name : idle) {
    auto it = own_index_.find(name);
    const size_t i = it->second;
    own_index_.erase(it);
    own_[i]->Clear();
    own_[i]->name.clear();
    own_[i]->tenant_id = table::kNoTenant;
    free_own_.push_back(i);
  }
}

size_t RefusalView::DrainAndFold() {
  size_t n = 0;
  std::lock_guard<std::mutex> lock(state_mu_);
  while (n < kMaxBatch) {
    const Record* r = ring_->Front();
    if (r == nullptr) break;
    Fold(*r);
    ring_->Pop();
    ++n;
  }
  Sweep(NowMs());
  return n;
}

void RefusalView::FolderLoop() {
  uint64_t flushes_seen = 0;
  while (true) {
    const size_t n = DrainAndFold();
    std::unique_lock<std::mutex> lock(mu_);
    folded_pos_ = ring_->read_position();
    progress_.notify_all();
    if (n > 0) continue;
    if (stop_) break;
    if (flush_requests_ != flushes_seen) {
      flushes_seen = flush_requests_;
      continue;  // look again before sleeping
    }
    wake_.wait_for(lock, absl::ToChronoNanoseconds(options_.idle_poll));
  }
}

void RefusalView::Flush() {
  // Relaxed: the caller's own order (the same thread, or a join of the
  // deciding threads) makes the claims it waits for visible here.
  const uint64_t target = ring_->claimed();
  std::unique_lock<std::mutex> lock(mu_);
  ++flush_requests_;
  wake_.notify_one();
  progress_.wait(lock, [&] { return folded_pos_ >= target; });
}

namespace {

// An entry being merged across slices.
struct Merged {
  TopEntry entry;
  uint32_t present = 0;  // bit i: slice i holds the key
};

}  // namespace

absl::StatusOr<TopAnswer> RefusalView::Top(absl::string_view tenant,
                                           bool unknown_tenant,
                                           size_t limit) const {
  if (unknown_tenant ? !tenant.empty()
                     : (tenant.empty() || tenant.size() > kMaxTenantBytes)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tenant \"", tenant.substr(0, kMaxTenantBytes), "\": expected ",
        unknown_tenant
            ? "none with unknown_tenant"
            : absl::StrCat("a tenant id of 1 to ", kMaxTenantBytes, " bytes")));
  }
  if (limit < 1 || limit > kMaxLimit) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit ", limit, ": expected 1 to ", kMaxLimit));
  }
  TopAnswer answer;
  // Relaxed: a count, read for reporting.
  answer.dropped_ring_full = dropped_ring_full_.load(std::memory_order_relaxed);
  const int64_t now = EpochOf(NowMs());

  std::lock_guard<std::mutex> lock(state_mu_);
  const TenantSketches* sketches = nullptr;
  std::string prefix;  // shared sketch: "<tenant>\0"
  if (unknown_tenant) {
    sketches = no_tenant_.get();
    answer.dropped_tenant_rate = budgets_->Dropped(table::kNoTenant);
  } else if (auto it = own_index_.find(tenant); it != own_index_.end()) {
    sketches = own_[it->second].get();
    answer.dropped_tenant_rate = budgets_->Dropped(sketches->tenant_id);
  } else {
    sketches = shared_.get();
    answer.shared = true;
    prefix = absl::StrCat(tenant, absl::string_view(&kSep, 1));
  }

  absl::flat_hash_map<absl::string_view, Merged> merged;
  uint32_t live = 0;
  std::array<uint64_t, kSlices> mins{};
  for (int i = 0; i < kSlices; ++i) {
    if (!sketches->Live(i, now)) continue;
    live |= 1u << i;
    const SpaceSaving& s = sketches->slices[i];
    mins[i] = s.min_count();
    for (const auto& [key, c] : s.counters()) {
      absl::string_view origin = key;
      if (answer.shared) {
        if (!absl::StartsWith(origin, prefix)) continue;
        origin.remove_prefix(prefix.size());
      }
      Merged& m = merged[origin];
      m.present |= 1u << i;
      m.entry.count += c.count;
      m.entry.error += c.error;
      if (c.meta.last_seen_unix_ms >= m.entry.meta.last_seen_unix_ms) {
        m.entry.meta = c.meta;
      }
    }
  }
  if (!answer.shared) answer.window_refusals = sketches->WindowTotal(now);
  answer.entries.reserve(merged.size());
  for (auto& [origin, m] : merged) {
    for (int i = 0; i < kSlices; ++i) {
      // A full live slice without the key: it was refused there at most
      // that slice's minimum times.
      if ((live & (1u << i)) && !(m.present & (1u << i))) {
        m.entry.count += mins[i];
        m.entry.error += mins[i];
      }
    }
    m.entry.origin = std::string(origin);
    if (answer.shared) {
      answer.window_refusals += m.entry.count;
      // The tenant's budget slot, from the id its latest refusal carried.
      answer.dropped_tenant_rate = budgets_->Dropped(m.entry.meta.tenant_id);
    }
    answer.entries.push_back(std::move(m.entry));
  }
  std::sort(answer.entries.begin(), answer.entries.end(),
            [](const TopEntry& a, const TopEntry& b) {
              if (a.count != b.count) return a.count > b.count;
              return a.origin < b.origin;
            });
  if (answer.entries.size() > limit) answer.entries.resize(limit);
  return answer;
}

RefusalViewStats RefusalView::Stats() const {
  RefusalViewStats s;
  // Relaxed loads: independent counters, a reporting snapshot.
  s.dropped_ring_full = dropped_ring_full_.load(std::memory_order_relaxed);
  s.dropped_tenant_rate = budgets_->TotalDropped();
  std::lock_guard<std::mutex> lock(state_mu_);
  s.folded = folded_;
  s.tenants = own_index_.size();
  return s;
}

void RefusalView::RenderPrometheus(std::string* out) const {
  const RefusalViewStats stats = Stats();
  std::vector<std::pair<uint64_t, std::string>> top;
  {
    const int64_t now = EpochOf(NowMs());
    std::lock_guard<std::mutex> lock(state_mu_);
    top.reserve(own_index_.size());
    for (const auto& [name, i] : own_index_) {
      const uint64_t n = own_[i]->WindowTotal(now);
      if (n > 0) top.emplace_back(n, name);
    }
  }
  const size_t n = std::min(top.size(), options_.metrics_top);
  std::partial_sort(top.begin(), top.begin() + n, top.end(),
                    [](const auto& a, const auto& b) {
                      if (a.first != b.first) return a.first > b.first;
                      return a.second < b.second;
                    });
  absl::StrAppend(
      out,
      "# HELP corsd_tenant_refusals Refusals of the tenant folded in the "
      "last --tenant-view-window, for the --tenant-view-metrics-top tenants "
      "with the most (among those with sketches of their own).\n"
      "# TYPE corsd_tenant_refusals gauge\n");
  for (size_t i = 0; i < n; ++i) {
    out->append("corsd_tenant_refusals{tenant=\"");
    AppendLabelValue(top[i].second, out);
    absl::StrAppend(out, "\"} ", top[i].first, "\n");
  }
  absl::StrAppend(
      out,
      "# HELP corsd_tenant_view_folded_total Refusals folded into the "
      "per-tenant view's sketches.\n"
      "# TYPE corsd_tenant_view_folded_total counter\n"
      "corsd_tenant_view_folded_total ",
      stats.folded,
      "\n"
      "# HELP corsd_tenant_view_dropped_total Refusals the per-tenant view "
      "did not fold: ring_full (the folder fell behind), tenant_rate (over "
      "the tenant's budget).\n"
      "# TYPE corsd_tenant_view_dropped_total counter\n"
      "corsd_tenant_view_dropped_total{cause=\"ring_full\"} ",
      stats.dropped_ring_full,
      "\n"
      "corsd_tenant_view_dropped_total{cause=\"tenant_rate\"} ",
      stats.dropped_tenant_rate,
      "\n"
      "# HELP corsd_tenant_view_tenants Tenants with sketches of their own "
      "(at most --tenant-view-tenants; the others share one).\n"
      "# TYPE corsd_tenant_view_tenants gauge\n"
      "corsd_tenant_view_tenants ",
      stats.tenants, "\n");
}

}  // namespace corsd::tenant_view
