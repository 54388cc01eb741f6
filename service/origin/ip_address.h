// IPv4 and IPv6 host parsing and serialization, exactly as the WHATWG URL
// standard's host parser does it (sections "IPv4 parser", "IPv6 parser",
// "host serializer"). Internal to service/origin: the public API is origin.h.
//
// The parsers report failure through a static reason string instead of a
// Status so the header check (hot path) can use them without allocating.
// All functions are pure: thread-safe, no global state.
#ifndef CORSD_SERVICE_ORIGIN_IP_ADDRESS_H_
#define CORSD_SERVICE_ORIGIN_IP_ADDRESS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace corsd::origin::internal {

// The eight 16-bit pieces of an IPv6 address, most significant first.
using Ipv6Pieces = std::array<uint16_t, 8>;

// Longest IPv6 serialization without brackets:
// "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff".
inline constexpr size_t kMaxIpv6TextBytes = 39;
// Longest IPv4 serialization: "255.255.255.255".
inline constexpr size_t kMaxIpv4TextBytes = 15;

// The URL standard's "ends in a number checker": true when the last
// dot-separated label of `host` (ignoring one trailing empty label) is all
// ASCII digits, or parses as an IPv4 number ("0x", "0x1f", "017"). Such a
// host must parse as IPv4 or the host is invalid.
bool EndsInANumber(absl::string_view host);

// The URL standard's IPv4 parser: 1 to 4 dot-separated parts, each decimal,
// octal (leading "0") or hex ("0x"); the last part fills the remaining bytes.
// One trailing dot is allowed. On success stores the address in *address
// (host byte order) and returns nullptr; on failure returns a static,
// human-readable reason ("part is not a number", ...), *address unspecified.
const char* ParseIpv4(absl::string_view text, uint32_t* address);

// Dotted-decimal serialization ("127.0.0.1") into `out`, which must hold
// kMaxIpv4TextBytes; returns the number of bytes written.
size_t SerializeIpv4(uint32_t address, char* out);
std::string SerializeIpv4(uint32_t address);

// The URL standard's IPv6 parser, for the text between the brackets
// ("::1", "1:2::3", "::ffff:1.2.3.4"). Returns nullptr and fills *pieces on
// success; on failure a static reason, *pieces unspecified.
const char* ParseIpv6(absl::string_view text, Ipv6Pieces* pieces);

// The URL standard's IPv6 serializer (lowercase hex, no leading zeros, the
// first longest run of two or more zero pieces compressed to "::"), without
// brackets, into `out`, which must hold kMaxIpv6TextBytes; returns the
// number of bytes written.
size_t SerializeIpv6(const Ipv6Pieces& pieces, char* out);

}  // namespace corsd::origin::internal

#endif  // CORSD_SERVICE_ORIGIN_IP_ADDRESS_H_
