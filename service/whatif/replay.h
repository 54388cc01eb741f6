// WhatIf: the replay behind Admin.WhatIf and `corsctl what-if`. Given a
// tenant and a proposed change (a new policy, origins and wildcards added
// or removed), it decides each of the tenant's request shapes -- the ones
// the ShapeRecorder kept (shape_recorder.h) plus any given in the request
// (from a decision-log file) -- on the live configuration and on a shadow
// with the change applied, and reports every shape whose outcome changes.
// Nothing is applied: the live table, registry and store are only read.
//
// Run, in order:
//   1. Bounds: tenant id syntax (InvalidArgument naming "tenant"); at most
//      kMaxWhatIfEntryChanges origins and wildcards in all and at most
//      kMaxWhatIfShapes shapes; each shape's fields within shape.h's bounds
//      and its door one of "decide", "ext_authz", "http", "" (InvalidArgument
//      naming the field, e.g. "shapes[3].shape.origin", the value or its
//      size, and the bound).
//   2. The tenant must exist (the Catalog's NotFound otherwise).
//   3. The change is validated exactly as an admin write is: one dry-run
//      import (the Catalog's write path, its stateless and stateful checks:
//      canonical values, public-suffix wildcards, policy validation, R16 dev
//      origins on production tenants), so a refused change fails with the
//      same InvalidArgument and BatchErrors (field, value, what was
//      expected) a write would get. Item indexes: the policy, when given, is
//      item 0; then add_origins, remove_origins, add_wildcards,
//      remove_wildcards in that order.
//   4. The shadow: its own EpochManager, OriginTable, PolicyRegistry and
//      Engine (the live engine's EngineOptions), holding only this tenant:
//      its entries as the Catalog lists them now (origins, wildcards, API
//      hosts; custom-domain grants included, as they are entries), the
//      change applied on top, and the proposed (else the current) policy.
//   5. Every shape is decided for the tenant by name on the live engine and
//      on the shadow's. A change is a different action, status, reason or
//      Access-Control-Allow-Credentials; a flip is a change between allowed
//      and refused (door::IsRefusal), or, for a shape with credentials, of
//      Access-Control-Allow-Credentials: true (a browser exposes a
//      credentialed response only with it).
//
// Known limits: a policy change that turns custom_domain_origins on or off
// would also add or remove the origins verified custom domains grant; the
// shadow does not model that. A write landing between step 4's reads and
// step 5 can show as a change. Response headers (Allow-Methods, Max-Age...)
// are not compared, only action, status, reason and whether credentials are
// allowed.
//
// Thread safety: Run may be called from any number of threads; each call
// builds its own shadow. The deps are not owned and must outlive the WhatIf.
#ifndef CORSD_SERVICE_WHATIF_REPLAY_H_
#define CORSD_SERVICE_WHATIF_REPLAY_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "corsd/v1/admin.pb.h"
#include "service/decision/engine.h"
#include "service/store/catalog.h"
#include "service/table/epoch.h"
#include "service/whatif/shape.h"
#include "service/whatif/shape_recorder.h"

namespace corsd::whatif {

// Origins and wildcards, added and removed, in one request (all four lists).
inline constexpr size_t kMaxWhatIfEntryChanges = 1000;
// Shapes given in one request.
inline constexpr size_t kMaxWhatIfShapes = 10000;

struct WhatIfDeps {
  store::Catalog* catalog = nullptr;            // required
  const decision::Engine* engine = nullptr;     // required: the live engine
  table::EpochManager* epochs = nullptr;        // required: the live table's
  decision::EngineOptions engine_options = {};  // the live engine's
  // Optional: null = only the shapes given in the request are replayed.
  ShapeRecorder* recorder = nullptr;
};

class WhatIf {
 public:
  explicit WhatIf(const WhatIfDeps& deps) : deps_(deps) {}

  // See the file comment. Errors: InvalidArgument (bounds, the change
  // refused, with BatchErrors); NotFound (unknown tenant); Internal when
  // the shadow cannot be built from what the Catalog listed (a bug).
  absl::StatusOr<corsd::v1::WhatIfResponse> Run(
      const corsd::v1::WhatIfRequest& request) const;

 private:
  const WhatIfDeps deps_;
};

// `shape` as a corsd.v1.RequestShape.
void ShapeToProto(const Shape& shape, corsd::v1::RequestShape* out);
// The inverse, checking every bound: InvalidArgument naming `field` +
// "." + the proto field, the size, and the bound (the path is cut as a
// recorded one is; a door other than those named above is refused).
absl::StatusOr<Shape> ShapeFromProto(const corsd::v1::RequestShape& proto,
                                     absl::string_view field);

}  // namespace corsd::whatif

#endif  // CORSD_SERVICE_WHATIF_REPLAY_H_
