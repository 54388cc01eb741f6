// How OriginTable encodes its keys, and the cheap canonical-form checks its
// write path runs. Internal to service/table.
//
// Origin and wildcard keys: [code][host or domain][port, 2 bytes big-endian,
// only when not default], code = scheme number | 0x80 when a port follows.
// They are placed by a hash of the host part and a "lane" chosen by the
// owning tenant (HashLane(HashWhole(host), LaneOf(tenant)); HashOriginKey):
// every scheme/port variant of a host owned by one tenant sits in one probe
// run, and the tenants sharing a host are spread over kLanes runs, so 10,000
// tenants listing http://localhost:3000 make chains of ~10,000/kLanes, not
// one chain of 10,000. The exact (tenant, origin) lookup probes one lane;
// "who owns this host" probes all kLanes. API host keys and tenant keys are
// the bytes themselves (HashWhole).
//
// All functions are pure and thread-safe.
#ifndef CORSD_SERVICE_TABLE_ORIGIN_KEYS_H_
#define CORSD_SERVICE_TABLE_ORIGIN_KEYS_H_

#include <cstdint>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/origin/origin.h"

namespace corsd::table::keys {

namespace hash_internal {
inline uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline uint64_t Load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint64_t Mix(uint64_t a, uint64_t b) {
  const unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}
inline constexpr uint64_t kP0 = 0xa0761d6478bd642full;
inline constexpr uint64_t kP1 = 0xe7037ed1a0b428dbull;
inline constexpr uint64_t kP2 = 0x8ebc6af09c88c6e3ull;
// Fixed for the life of the process, different between processes (ASLR),
// like absl::Hash's seed: keys chosen by one tenant cannot be tuned offline
// to collide. Immutable after its first use.
inline uint64_t Seed() {
  static const char anchor = 0;
  return Mix(reinterpret_cast<uintptr_t>(&anchor) ^ kP2, kP1);
}
}  // namespace hash_internal

// A wyhash-style 64-bit hash of `bytes`, inline (the table's keys are short,
// and an out-of-line call is a measurable part of a hot lookup). Good high
// bits (probe start) and low bits (tag). Seeded per process.
inline uint64_t HashWhole(absl::string_view bytes) {
  using namespace hash_internal;  // NOLINT: local helpers
  const char* p = bytes.data();
  const size_t n = bytes.size();
  uint64_t seed = Seed() ^ kP0;
  uint64_t a, b;
  if (n <= 16) {
    if (n >= 4) {
      const size_t mid = (n >> 3) << 2;
      a = (Load32(p) << 32) | Load32(p + mid);
      b = (Load32(p + n - 4) << 32) | Load32(p + n - 4 - mid);
    } else if (n > 0) {
      a = (uint64_t{static_cast<uint8_t>(p[0])} << 16) |
          (uint64_t{static_cast<uint8_t>(p[n >> 1])} << 8) |
          static_cast<uint8_t>(p[n - 1]);
      b = 0;
    } else {
      a = b = 0;
    }
  } else {
    size_t i = n;
    while (i > 16) {
      seed = Mix(Load64(p) ^ kP1, Load64(p + 8) ^ seed);
      p += 16;
      i -= 16;
    }
    a = Load64(p + i - 16);
    b = Load64(p + i - 8);
  }
  a ^= kP1;
  b ^= seed;
  const unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return Mix(static_cast<uint64_t>(r) ^ kP0 ^ n,
             static_cast<uint64_t>(r >> 64) ^ kP1);
}

// memcmp(a, b, n) == 0, inline for short keys.
inline bool BytesEqual(const char* a, const char* b, size_t n) {
  using namespace hash_internal;  // NOLINT: local helpers
  if (n >= 8) {
    for (size_t i = 0; i + 8 < n; i += 8) {
      if (Load64(a + i) != Load64(b + i)) return false;
    }
    return Load64(a + n - 8) == Load64(b + n - 8);
  }
  if (n >= 4) {
    return Load32(a) == Load32(b) && Load32(a + n - 4) == Load32(b + n - 4);
  }
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}
inline bool BytesEqual(absl::string_view a, absl::string_view b) {
  return a.size() == b.size() && BytesEqual(a.data(), b.data(), a.size());
}

inline uint8_t Code(origin::Scheme scheme, uint16_t port) {
  return static_cast<uint8_t>(static_cast<uint8_t>(scheme) |
                              (port != 0 ? 0x80 : 0));
}

// The host part of an origin/wildcard key.
inline absl::string_view HostOfKey(absl::string_view key) {
  if (key.empty()) return key;
  const bool has_port = (static_cast<uint8_t>(key[0]) & 0x80) != 0;
  key.remove_prefix(1);
  if (has_port && key.size() >= 2) key.remove_suffix(2);
  return key;
}

// Lanes per host: a power of two. Larger shortens the chain of a host shared
// by many tenants (by this factor: 20,000 sharers of one origin, exact lookup
// ~1.7 µs instead of ~280 µs at 1M origins) but makes the all-lanes paths
// (ForEachOwner, HostIsKnown: admin LookupOrigin, /ask) do kLanes probe runs
// per host (HostIsKnown of an unknown host: ~30 µs at 1M origins, was one
// probe run).
inline constexpr uint32_t kLaneBits = 8;
inline constexpr uint32_t kLanes = uint32_t{1} << kLaneBits;

// The lane of every origin/wildcard entry of `owner` (a tenant id). A fixed
// multiplicative mix: deterministic within and across processes; tenant ids
// are allocated by the table, not chosen by a client.
inline uint32_t LaneOf(uint32_t owner) {
  return static_cast<uint32_t>((uint64_t{owner} * hash_internal::kP0) >>
                               (64 - kLaneBits));
}

// The probe hash of lane `lane` of a host whose HashWhole is `host_hash`.
// Distinct lanes give unrelated hashes (start and tag).
inline uint64_t HashLane(uint64_t host_hash, uint32_t lane) {
  using namespace hash_internal;  // NOLINT: local helpers
  return Mix(host_hash ^ (kP2 * (uint64_t{lane} + 1)), kP1);
}

// The probe hash of origin/wildcard `key` owned by `owner`: the KeyHashFn of
// the origins and wildcards tables.
inline uint64_t HashOriginKey(absl::string_view key, uint32_t owner) {
  return HashLane(HashWhole(HostOfKey(key)), LaneOf(owner));
}

// HashWhole(key), ignoring the owner: the KeyHashFn of the tenants and API
// hosts tables.
inline uint64_t HashWholeKey(absl::string_view key, uint32_t /*owner*/) {
  return HashWhole(key);
}

// Does origin/wildcard `key` encode (scheme, host, port)? No allocation.
inline bool KeyEquals(absl::string_view key, origin::Scheme scheme,
                      absl::string_view host, uint16_t port) {
  const size_t want = 1 + host.size() + (port != 0 ? 2 : 0);
  if (key.size() != want || static_cast<uint8_t>(key[0]) != Code(scheme, port))
    return false;
  if (!BytesEqual(key.data() + 1, host.data(), host.size())) return false;
  if (port == 0) return true;
  return static_cast<uint8_t>(key[want - 2]) == (port >> 8) &&
         static_cast<uint8_t>(key[want - 1]) == (port & 0xFF);
}

// [code][host][port?]
std::string EncodeHostKey(origin::Scheme scheme, absl::string_view host,
                          uint16_t port);
// The same into `buf`, which must hold host.size() + 3 bytes; returns a view
// of buf.
inline absl::string_view EncodeHostKeyTo(char* buf, origin::Scheme scheme,
                                         absl::string_view host,
                                         uint16_t port) {
  buf[0] = static_cast<char>(Code(scheme, port));
  std::memcpy(buf + 1, host.data(), host.size());
  size_t n = 1 + host.size();
  if (port != 0) {
    buf[n++] = static_cast<char>(port >> 8);
    buf[n++] = static_cast<char>(port & 0xFF);
  }
  return absl::string_view(buf, n);
}

// "https://app.example.com[:port]" for an origin key; with `wildcard`,
// "https://*.example.com[:port]".
std::string SerializeKey(absl::string_view key, bool wildcard);

// Is `host` an IP address (bracketed IPv6, or a last label that is all
// digits, which the URL parser makes IPv4)? Wildcards never apply to them.
bool IsIpHost(absl::string_view host);

// OK when `value` is a canonical origin (origin::CheckOriginHeader says
// kCanonical), filling *parts (views into value) when non-null; otherwise
// InvalidArgument saying what was expected.
absl::Status CheckOrigin(absl::string_view value,
                         origin::OriginParts* parts = nullptr);

// A wildcard entry "scheme://*.domain[:port]" taken apart.
struct WildcardKey {
  origin::Scheme scheme;
  std::string domain;
  uint16_t port;
};
// Parses a canonical wildcard: the "*." must follow "://", the rest must be
// a canonical "scheme://domain[:port]" origin whose host is not an IP.
// InvalidArgument naming what is wrong otherwise. Public suffixes are not
// checked here (CheckWildcardDomain in public_suffix.h).
absl::StatusOr<WildcardKey> ParseWildcardKey(absl::string_view value);

// OK when `value` is a canonical host without port; InvalidArgument
// otherwise.
absl::Status CheckHost(absl::string_view value);

}  // namespace corsd::table::keys

#endif  // CORSD_SERVICE_TABLE_ORIGIN_KEYS_H_
