#include "service/whatif/shape.h"

#include <tuple>

#include "absl/hash/hash.h"

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

uint64_t ShapeFingerprint(Door door, const decision::Request& r) {
  // The has_* flags are folded into one byte so that "absent" and "present
  // but empty" differ.
  const uint8_t flags = static_cast<uint8_t>(
      (r.has_origin ? 1 : 0) | (r.has_access_control_request_method ? 2 : 0) |
      (r.has_access_control_request_headers ? 4 : 0) |
      (r.has_access_control_request_private_network ? 8 : 0) |
      (r.credentials ? 16 : 0));
  const uint64_t h = absl::Hash<std::tuple<
      uint8_t, uint8_t, absl::string_view, absl::string_view, absl::string_view,
      absl::string_view, absl::string_view, absl::string_view,
      absl::string_view, absl::string_view, absl::string_view>>{}(
      std::make_tuple(
          static_cast<uint8_t>(door), flags, r.method, r.origin, r.host,
          ShapePath(r.path), r.access_control_request_method,
          r.access_control_request_headers,
          r.access_control_request_private_network, r.upgrade, r.connection));
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
