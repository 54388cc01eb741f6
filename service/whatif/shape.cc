#include "service/whatif/shape.h"

#include <cstring>

namespace corsd::whatif {

absl::string_view DoorName(Door door) {
  switch (door) {
    case Door::kDecide:
      return "decide";
    case Door::kExtAuthz:
      return "ext_authz";
    case Door::kHttp:
      return "http";
    case Door::kOther:
      break;
  }
  return "";
}

Door DoorOf(absl::string_view name) {
  if (name == "decide") return Door::kDecide;
  if (name == "ext_authz") return Door::kExtAuthz;
  if (name == "http") return Door::kHttp;
  return Door::kOther;
}

absl::string_view ShapePath(absl::string_view path) {
  const size_t q = path.find('?');
  if (q != absl::string_view::npos) path = path.substr(0, q);
  return path.substr(0, kMaxShapePathBytes);
}

bool FitsShape(const decision::Request& r) {
  return r.method.size() <= kMaxShapeMethodBytes &&
         r.origin.size() <= kMaxShapeOriginBytes &&
         r.host.size() <= kMaxShapeHostBytes &&
         r.access_control_request_method.size() <=
             kMaxShapeRequestMethodBytes &&
         r.access_control_request_headers.size() <=
             kMaxShapeRequestHeadersBytes &&
         r.access_control_request_private_network.size() <=
             kMaxShapePrivateNetworkBytes &&
         r.upgrade.size() <= kMaxShapeUpgradeBytes &&
         r.connection.size() <= kMaxShapeConnectionBytes;
}

namespace {

// 64x64 -> 128-bit multiply, folded (the mixing step of wyhash).
inline uint64_t Mum(uint64_t a, uint64_t b) {
  const unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

constexpr uint64_t kP0 = 0xa0761d6478bd642full;
constexpr uint64_t kP1 = 0xe7037ed1a0b428dbull;
constexpr uint64_t kP2 = 0x8ebc6af09c88c6e3ull;

// Folds the bytes of `s` into `h`: sixteen bytes per multiply, then the
// tail. Field lengths are committed up front (ShapeFingerprint), so field
// boundaries count and an empty field costs nothing.
inline uint64_t Fold(uint64_t h, absl::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  while (n >= 16) {
    uint64_t a, b;
    std::memcpy(&a, p, 8);
    std::memcpy(&b, p + 8, 8);
    h = Mum(a ^ kP1, b ^ h);
    p += 16;
    n -= 16;
  }
  if (n >= 8) {
    uint64_t a;
    std::memcpy(&a, p, 8);
    h = Mum(a ^ kP2, h ^ kP0);
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    uint64_t a = 0;
    std::memcpy(&a, p, n);
    h = Mum(a ^ kP1, h ^ kP2);
  }
  return h;
}

}  // namespace

uint64_t ShapeFingerprint(Door door, const decision::Request& r) {
  const absl::string_view path = ShapePath(r.path);
  // Every length (each below 2^12 when FitsShape; longer ones still count,
  // wrapped) and flag up front, so "absent" and "present but empty" differ
  // and bytes cannot move from one field to the next.
  const uint64_t lengths0 =
      (r.method.size() & 0xfff) | (r.origin.size() & 0xfff) << 12 |
      (r.host.size() & 0xfff) << 24 | (path.size() & 0xfff) << 36 |
      (r.access_control_request_method.size() & 0xfff) << 48;
  const uint64_t lengths1 =
      (r.access_control_request_headers.size() & 0xfff) |
      (r.access_control_request_private_network.size() & 0xfff) << 12 |
      (r.upgrade.size() & 0xfff) << 24 | (r.connection.size() & 0xfff) << 36 |
      static_cast<uint64_t>(door) << 48 | (r.has_origin ? 1ull << 56 : 0) |
      (r.has_access_control_request_method ? 1ull << 57 : 0) |
      (r.has_access_control_request_headers ? 1ull << 58 : 0) |
      (r.has_access_control_request_private_network ? 1ull << 59 : 0) |
      (r.credentials ? 1ull << 60 : 0);
  uint64_t h = Mum(lengths0 ^ kP0, lengths1 ^ kP1);
  h = Fold(h, r.method);
  h = Fold(h, r.origin);
  h = Fold(h, r.host);
  h = Fold(h, path);
  h = Fold(h, r.access_control_request_method);
  h = Fold(h, r.access_control_request_headers);
  h = Fold(h, r.access_control_request_private_network);
  h = Fold(h, r.upgrade);
  h = Fold(h, r.connection);
  h = Mum(h ^ kP2, kP0);
  return h == 0 ? 1 : h;
}

Shape Shape::From(Door door, const decision::Request& r) {
  Shape s;
  s.door = door;
  s.method = std::string(r.method);
  s.origin = std::string(r.origin);
  s.has_origin = r.has_origin;
  s.host = std::string(r.host);
  s.path = std::string(ShapePath(r.path));
  s.request_method = std::string(r.access_control_request_method);
  s.has_request_method = r.has_access_control_request_method;
  s.request_headers = std::string(r.access_control_request_headers);
  s.has_request_headers = r.has_access_control_request_headers;
  s.private_network = std::string(r.access_control_request_private_network);
  s.has_private_network = r.has_access_control_request_private_network;
  s.upgrade = std::string(r.upgrade);
  s.connection = std::string(r.connection);
  s.credentials = r.credentials;
  return s;
}

decision::Request Shape::ToRequest() const {
  decision::Request r;
  r.method = method;
  r.scheme = "https";
  r.host = host;
  r.path = path;
  r.origin = origin;
  r.has_origin = has_origin;
  r.access_control_request_method = request_method;
  r.has_access_control_request_method = has_request_method;
  r.access_control_request_headers = request_headers;
  r.has_access_control_request_headers = has_request_headers;
  r.access_control_request_private_network = private_network;
  r.has_access_control_request_private_network = has_private_network;
  r.upgrade = upgrade;
  r.connection = connection;
  r.credentials = credentials;
  return r;
}

uint64_t Shape::Fingerprint() const {
  return ShapeFingerprint(door, ToRequest());
}

size_t Shape::Bytes() const {
  return sizeof(Shape) + method.capacity() + origin.capacity() +
         host.capacity() + path.capacity() + request_method.capacity() +
         request_headers.capacity() + private_network.capacity() +
         upgrade.capacity() + connection.capacity();
}

}  // namespace corsd::whatif
