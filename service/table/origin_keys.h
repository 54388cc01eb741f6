// How OriginTable encodes its keys, and the cheap canonical-form checks its
// write path runs. Internal to service/table.
//
// Origin and wildcard keys: [code][host or domain][port, 2 bytes big-endian,
// only when not default], code = scheme number | 0x80 when a port follows.
// They are placed by a hash of the host part alone (HashHostPart), so every
// scheme/port variant of a host sits in one probe run. API host keys and
// tenant keys are the bytes themselves (HashWhole).
//
// All functions are pure and thread-safe.
#ifndef CORSD_SERVICE_TABLE_ORIGIN_KEYS_H_
#define CORSD_SERVICE_TABLE_ORIGIN_KEYS_H_

#include <cstdint>
#include <string>

#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/origin/origin.h"

namespace corsd::table::keys {

inline uint64_t HashWhole(absl::string_view bytes) {
  return absl::Hash<absl::string_view>{}(bytes);
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

inline uint64_t HashHostPart(absl::string_view key) {
  return HashWhole(HostOfKey(key));
}

// Does origin/wildcard `key` encode (scheme, host, port)? No allocation.
inline bool KeyEquals(absl::string_view key, origin::Scheme scheme,
                      absl::string_view host, uint16_t port) {
  const size_t want = 1 + host.size() + (port != 0 ? 2 : 0);
  if (key.size() != want || static_cast<uint8_t>(key[0]) != Code(scheme, port))
    return false;
  if (key.substr(1, host.size()) != host) return false;
  if (port == 0) return true;
  return static_cast<uint8_t>(key[want - 2]) == (port >> 8) &&
         static_cast<uint8_t>(key[want - 1]) == (port & 0xFF);
}

// [code][host][port?]
std::string EncodeHostKey(origin::Scheme scheme, absl::string_view host,
                          uint16_t port);

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
