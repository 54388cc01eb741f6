#include "bench/load/dataset.h"

#include <random>

#include "absl/random/distributions.h"
#include "absl/random/zipf_distribution.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace corsd::bench {
namespace {

constexpr uint64_t kMaxOrigins = 100'000'000;
constexpr uint32_t kMaxTenants = 1'000'000;
// A prime above kMaxOrigins: r -> (r * kStride) mod n is a bijection on
// [0, n) for every n <= kMaxOrigins.
constexpr uint64_t kStride = 2654435761u;

// A bijection on [0, 2^48): multiplication by an odd constant, then an
// xorshift, both invertible modulo 2^48.
uint64_t Scramble48(uint64_t j) {
  constexpr uint64_t kMask = (uint64_t{1} << 48) - 1;
  uint64_t x = (j * 0x9E3779B97F4Bull) & kMask;
  x ^= x >> 23;
  return x;
}

}  // namespace

absl::Status ValidateDatasetSpec(const DatasetSpec& spec) {
  if (spec.origins < 1 || spec.origins > kMaxOrigins) {
    return absl::InvalidArgumentError(absl::StrCat(
        "origins = ", spec.origins, ": expected 1..", kMaxOrigins));
  }
  const uint64_t max_tenants = std::min<uint64_t>(spec.origins, kMaxTenants);
  if (spec.tenants < 1 || spec.tenants > max_tenants) {
    return absl::InvalidArgumentError(
        absl::StrCat("tenants = ", spec.tenants, ": expected 1..", max_tenants,
                     " (at most one tenant per origin)"));
  }
  return absl::OkStatus();
}

uint32_t DefaultTenants(uint64_t origins) {
  return static_cast<uint32_t>(std::clamp<uint64_t>(origins / 10, 1, 100'000));
}

std::string TenantId(uint32_t t) { return absl::StrFormat("tenant-%06u", t); }

std::string OriginAt(uint64_t j) {
  static constexpr const char* kPrefixes[] = {"app",    "shop",  "www", "api",
                                              "portal", "store", "my",  "dash"};
  static constexpr const char* kTlds[] = {"com", "io",  "de",  "co.uk",
                                          "com", "net", "com", "fr"};
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  // 10 base-36 digits hold any 48-bit value (36^10 > 2^51).
  char name[10];
  uint64_t x = Scramble48(j);
  for (int i = 9; i >= 0; --i) {
    name[i] = kDigits[x % 36];
    x /= 36;
  }
  return absl::StrCat("https://", kPrefixes[j % 8], ".",
                      absl::string_view(name, sizeof(name)), ".",
                      kTlds[(j / 8) % 8]);
}

std::vector<TrafficItem> GenerateTraffic(const DatasetSpec& spec,
                                         const TrafficMix& mix, size_t count,
                                         uint64_t seed) {
  std::mt19937_64 rng(seed);
  absl::zipf_distribution<uint64_t> zipf(spec.origins - 1, mix.zipf_q, 1.0);
  std::vector<TrafficItem> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const uint64_t rank = zipf(rng);
    const uint64_t j = (rank * kStride) % spec.origins;
    const double u = absl::Uniform(rng, 0.0, 1.0);
    TrafficItem item;
    item.tenant = TenantOf(spec, j);
    if (u < mix.allowed) {
      item.kind = RequestKind::kAllowed;
      item.method = absl::Bernoulli(rng, 0.8) ? "GET" : "POST";
      item.origin = OriginAt(j);
      item.credentials = absl::Bernoulli(rng, 0.5);
    } else if (u < mix.allowed + mix.refused) {
      item.kind = RequestKind::kRefused;
      item.method = "GET";
      item.origin = OriginAt(spec.origins + j);  // never loaded
    } else if (u < mix.allowed + mix.refused + mix.preflight) {
      item.kind = RequestKind::kPreflight;
      item.method = "OPTIONS";
      item.origin = OriginAt(j);
    } else {
      item.kind = RequestKind::kNoOrigin;
      item.method = "GET";
    }
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace corsd::bench
