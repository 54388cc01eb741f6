// The HTTP door's request codec: turns the request a gateway sends to corsd's
// /auth or /preflight (nginx auth_request, Caddy forward_auth, Traefik
// ForwardAuth, or a preflight proxied as it is) into the decision::Request it
// describes. It reads header values byte for byte as the transport received
// them: nothing is percent-decoded, unfolded or normalized, so the decision
// sees exactly what the client sent (a percent-encoded Origin never
// matches). Kept apart from the transport so the header contract is tested
// and fuzzed on its own.
//
// Header contract (names are case-insensitive):
//   method  X-Original-Method (nginx), else X-Forwarded-Method (Caddy,
//           Traefik). Required on /auth; on /preflight the request's own
//           method is the default.
//   path    X-Original-URI, else X-Forwarded-Uri, else X-Replaced-Path
//           (Traefik's replacePath); default the request target.
//   host    X-Original-Host, else X-Forwarded-Host, else Host.
//   scheme  X-Original-Scheme, else X-Forwarded-Proto: "http" or "https";
//           default "http".
//   X-Original-Upgrade, X-Original-Connection  the client's Upgrade and
//           Connection (hop-by-hop, so proxies drop them); default: the
//           request's own Upgrade / Connection.
//   X-Corsd-Credentials "1" or "0": whether the client sent credentials;
//           when absent, the shared rule (door::CarriesCredentials: Cookie or
//           Authorization present).
//   <tenant header>  ForwardAuthOptions::tenant_header: the last fallback of
//           the tenant resolution order (service/door/run_path.h).
//   Origin, Access-Control-Request-Method, Access-Control-Request-Headers,
//   Access-Control-Request-Private-Network: the client's own headers.
// A header sent more than once is joined with "," (door::JoinedValue; a
// joined Origin is never canonical, so it never matches). The X-Original-*
// name wins over the X-Forwarded-* one when both are present.
//
// Thread-safe: pure functions of their inputs.
#ifndef CORSD_SERVICE_HTTP_FORWARD_AUTH_H_
#define CORSD_SERVICE_HTTP_FORWARD_AUTH_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "service/decision/engine.h"
#include "service/door/header_rules.h"

namespace corsd::http {

// One request header as the transport received it: the name in any case,
// the value byte for byte (views owned by the transport).
struct HeaderField {
  absl::string_view name;
  absl::string_view value;
};

// The HTTP request corsd received, as its transport parsed it.
struct ReceivedRequest {
  absl::string_view method;  // request-line method
  absl::string_view target;  // request-line target, as sent
  absl::Span<const HeaderField> headers;
};

// The request the gateway asks about. Views point into the ReceivedRequest's
// bytes or into `storage`: valid while both live. Not copyable or movable.
struct OriginalRequest {
  OriginalRequest() = default;
  OriginalRequest(const OriginalRequest&) = delete;
  OriginalRequest& operator=(const OriginalRequest&) = delete;

  decision::Request request;
  // The tenant header's value; empty when absent or not configured.
  absl::string_view tenant_header;
  // Joined values of repeated headers.
  door::JoinStorage storage;
};

struct ForwardAuthOptions {
  // Header carrying the fallback tenant id; empty: none.
  std::string tenant_header;
  // Whether a method header (X-Original-Method / X-Forwarded-Method) must be
  // present (true on /auth).
  bool require_original_method = true;
  // Largest accepted value of any header read here.
  size_t max_header_value_bytes = 8192;
  // Most headers accepted on one request.
  size_t max_headers = 100;
  // Largest header block accepted: the names and values of every header.
  size_t max_header_block_bytes = 64 * 1024;
};

// Fills *out (freshly constructed) from `request`. Errors, each naming the
// header, the value or its size, and what was expected:
//   ResourceExhausted (HTTP 431): more than options.max_headers headers, a
//     header block over options.max_header_block_bytes, or
//     a header read here over options.max_header_value_bytes (after joining
//     repeats), or the request target over it when it is the path;
//   InvalidArgument (HTTP 400):
//   * a CR, LF or NUL byte in a header read here;
//   * the method header missing when required, or empty, over 32 bytes, or
//     not an HTTP token;
//   * the scheme header other than "http" / "https";
//   * X-Corsd-Credentials other than "0" / "1".
absl::Status ParseOriginalRequest(const ReceivedRequest& request,
                                  const ForwardAuthOptions& options,
                                  OriginalRequest* out);

}  // namespace corsd::http

#endif  // CORSD_SERVICE_HTTP_FORWARD_AUTH_H_
