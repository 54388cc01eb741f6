#include "service/proof/address_policy.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace corsd::proof {
namespace {

// A refused range: the first `prefix_bits` bits of `bytes` (the address's
// own length: 4 bytes for IPv4, 16 for IPv6) and how a person names it.
template <size_t N>
struct Range {
  std::array<uint8_t, N> bytes;
  int prefix_bits;
  const char* name;
};

constexpr Range<4> kRefusedV4[] = {
    {{0, 0, 0, 0}, 8, "unspecified 0.0.0.0/8"},
    {{10, 0, 0, 0}, 8, "private 10.0.0.0/8"},
    {{100, 64, 0, 0}, 10, "CGNAT 100.64.0.0/10"},
    {{127, 0, 0, 0}, 8, "loopback 127.0.0.0/8"},
    {{169, 254, 0, 0}, 16, "link-local 169.254.0.0/16"},
    {{172, 16, 0, 0}, 12, "private 172.16.0.0/12"},
    {{192, 0, 0, 0}, 24, "IETF protocol assignments 192.0.0.0/24"},
    {{192, 0, 2, 0}, 24, "documentation 192.0.2.0/24"},
    {{192, 168, 0, 0}, 16, "private 192.168.0.0/16"},
    {{198, 18, 0, 0}, 15, "benchmark 198.18.0.0/15"},
    {{198, 51, 100, 0}, 24, "documentation 198.51.100.0/24"},
    {{203, 0, 113, 0}, 24, "documentation 203.0.113.0/24"},
    {{224, 0, 0, 0}, 4, "multicast 224.0.0.0/4"},
    {{240, 0, 0, 0}, 4, "reserved and broadcast 240.0.0.0/4"},
};

// Checked in order, after the ranges that carry an IPv4 address.
constexpr Range<16> kRefusedV6[] = {
    {{}, 128, "unspecified ::"},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, "loopback ::1"},
    {{0xfc}, 7, "unique local fc00::/7"},
    {{0xfe, 0x80}, 10, "link-local fe80::/10"},
    {{0xff}, 8, "multicast ff00::/8"},
    {{0x20, 0x01, 0x0d, 0xb8}, 32, "documentation 2001:db8::/32"},
    {{0x20, 0x01, 0x00, 0x00}, 32, "Teredo 2001::/32"},
};

constexpr std::array<uint8_t, 16> kV4Mapped = {0, 0, 0, 0, 0,    0,
                                               0, 0, 0, 0, 0xff, 0xff};
constexpr std::array<uint8_t, 16> kNat64 = {0x00, 0x64, 0xff, 0x9b};
constexpr std::array<uint8_t, 16> kSixToFour = {0x20, 0x02};
constexpr std::array<uint8_t, 16> kGlobalUnicast = {0x20};

// Whether the first `bits` bits of `a` and `b` are equal.
template <size_t N>
bool PrefixMatches(const uint8_t* a, const std::array<uint8_t, N>& b,
                   int bits) {
  size_t i = 0;
  for (; bits >= 8; bits -= 8, ++i) {
    if (a[i] != b[i]) return false;
  }
  if (bits == 0) return true;
  const auto mask = static_cast<uint8_t>(0xff << (8 - bits));
  return (a[i] & mask) == (b[i] & mask);
}

bool IsPublicV4(const uint8_t* v4, std::string* range_name) {
  for (const Range<4>& r : kRefusedV4) {
    if (PrefixMatches(v4, r.bytes, r.prefix_bits)) {
      if (range_name != nullptr) *range_name = r.name;
      return false;
    }
  }
  return true;
}

// Judges an IPv6 range that carries an IPv4 address by that address.
bool IsPublicCarried(const uint8_t* v4, absl::string_view carrier,
                     std::string* range_name) {
  std::string inner;
  if (IsPublicV4(v4, &inner)) return true;
  if (range_name != nullptr) {
    *range_name = absl::StrCat(carrier, " carrying ", inner);
  }
  return false;
}

}  // namespace

bool IsPublicAddress(const dns::IpAddress& address, std::string* range_name) {
  const uint8_t* b = address.bytes.data();
  if (!address.v6) return IsPublicV4(b, range_name);

  if (PrefixMatches(b, kV4Mapped, 96)) {
    return IsPublicCarried(b + 12, "IPv4-mapped ::ffff:0:0/96", range_name);
  }
  if (PrefixMatches(b, kNat64, 96)) {
    return IsPublicCarried(b + 12, "NAT64 64:ff9b::/96", range_name);
  }
  if (PrefixMatches(b, kSixToFour, 16)) {
    return IsPublicCarried(b + 2, "6to4 2002::/16", range_name);
  }
  for (const Range<16>& r : kRefusedV6) {
    if (PrefixMatches(b, r.bytes, r.prefix_bits)) {
      if (range_name != nullptr) *range_name = r.name;
      return false;
    }
  }
  if (!PrefixMatches(b, kGlobalUnicast, 3)) {
    if (range_name != nullptr) *range_name = "outside global unicast 2000::/3";
    return false;
  }
  return true;
}

}  // namespace corsd::proof
