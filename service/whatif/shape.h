// Request shapes for `corsctl what-if`: everything a decision reads that can
// change its outcome, in a form the recorder (shape_recorder.h) can key,
// copy and keep, and the replay (replay.h) can decide again.
//
// What a shape keeps, and the bound of each field (bytes):
//   door                    decide / ext_authz / http / other (Door)
//   method                  32, as sent (R7 and R14 are case-sensitive)
//   origin (+ has_origin)   256, as sent
//   host                    256, as sent (Decide reads it for unknown-host
//                           decisions and the own-origin check)
//   path                    256: the path before any "?" (route classes
//                           match that part only), cut to its first 256
//                           bytes; a route prefix longer than 256 bytes
//                           (policies allow 1024) therefore cannot tell two
//                           shapes apart that differ after byte 256
//   access-control-request-method (+ has)    32
//   access-control-request-headers (+ has)   512 (repeats joined by ",")
//   access-control-request-private-network (+ has)   16
//   upgrade                 32
//   connection              64
//   credentials             1 bit (a Cookie or Authorization header)
// Not kept: the scheme (no rule reads it) and the query. A request with a
// field over its bound (other than the path, which is cut) has no shape
// (FitsShape is false): the recorder drops and counts it.
//
// Thread safety: plain values and pure functions.
#ifndef CORSD_SERVICE_WHATIF_SHAPE_H_
#define CORSD_SERVICE_WHATIF_SHAPE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "service/decision/engine.h"

namespace corsd::whatif {

inline constexpr size_t kMaxShapeMethodBytes = 32;
inline constexpr size_t kMaxShapeOriginBytes = 256;
inline constexpr size_t kMaxShapeHostBytes = 256;
inline constexpr size_t kMaxShapePathBytes = 256;
inline constexpr size_t kMaxShapeRequestMethodBytes = 32;
inline constexpr size_t kMaxShapeRequestHeadersBytes = 512;
inline constexpr size_t kMaxShapePrivateNetworkBytes = 16;
inline constexpr size_t kMaxShapeUpgradeBytes = 32;
inline constexpr size_t kMaxShapeConnectionBytes = 64;

// The door a decision came through (DecisionEvent::door).
enum class Door : uint8_t { kOther = 0, kDecide = 1, kExtAuthz = 2, kHttp = 3 };

// "decide", "ext_authz", "http"; "" for kOther.
absl::string_view DoorName(Door door);
// The inverse of DoorName; anything else is kOther.
Door DoorOf(absl::string_view name);

// The path a shape keeps: `path` before any "?", cut to kMaxShapePathBytes.
absl::string_view ShapePath(absl::string_view path);

// Whether every field of `request` is within its bound (the path excepted:
// it is cut). Allocation-free.
bool FitsShape(const decision::Request& request);

// The shape's 64-bit fingerprint: a hash of the door, the flags and every
// kept field with its length (path as ShapePath), never 0; wyhash's
// multiply-fold, eight bytes per step (~20 ns for a typical request).
// Equal shapes have equal fingerprints; distinct shapes are taken for one
// only on a 64-bit collision (the recorder would count one under the
// other). Allocation-free. Deterministic.
uint64_t ShapeFingerprint(Door door, const decision::Request& request);

// One shape, owning its bytes.
struct Shape {
  Door door = Door::kOther;
  std::string method;
  std::string origin;
  bool has_origin = false;
  std::string host;
  std::string path;
  std::string request_method;
  bool has_request_method = false;
  std::string request_headers;
  bool has_request_headers = false;
  std::string private_network;
  bool has_private_network = false;
  std::string upgrade;
  std::string connection;
  bool credentials = false;

  // Copies the kept fields of `request` (path through ShapePath).
  static Shape From(Door door, const decision::Request& request);
  // A request to decide the shape again; its views point into *this, which
  // must outlive it. Scheme "https".
  decision::Request ToRequest() const;
  // ShapeFingerprint(door, ToRequest()).
  uint64_t Fingerprint() const;
  // Heap bytes held (for the recorder's memory budget).
  size_t Bytes() const;

  bool operator==(const Shape& other) const = default;
};

}  // namespace corsd::whatif

#endif  // CORSD_SERVICE_WHATIF_SHAPE_H_
