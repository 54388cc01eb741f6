// Forward-auth request reading: turns the HTTP request a gateway (nginx
// auth_request, or nginx proxying a preflight) sends to corsd into the
// original request it describes, checking every header against its limit.
// Kept apart from the server so the header contract (which header carries
// what, defaults, limits, repeated headers) is tested on its own.
//
// Header contract (names are case-insensitive):
//   X-Original-Method   the client's method. Required on /auth; on
//                       /preflight the request's own method is the default.
//   X-Original-URI      path and query; default: the request's own target.
//   X-Original-Host     the client's Host; default: the Host header.
//   X-Original-Scheme   "http" or "https"; default "http".
//   X-Original-Upgrade, X-Original-Connection  the client's Upgrade and
//                       Connection (hop-by-hop, so proxies drop them);
//                       default: the request's own Upgrade / Connection.
//   X-Corsd-Credentials "1" or "0": whether the client sent credentials;
//                       when absent, a Cookie or Authorization header counts.
//   <tenant header>     the tenant id (HttpServerOptions::tenant_header).
//   Origin, Access-Control-Request-Method, Access-Control-Request-Headers,
//   Access-Control-Request-Private-Network: the client's own headers. A header
//   sent more than once is joined with "," as Envoy does (a joined Origin is
//   never canonical, so it never matches).
//
// Thread-safe: pure functions of their inputs.
#ifndef CORSD_SERVICE_HTTP_FORWARD_AUTH_H_
#define CORSD_SERVICE_HTTP_FORWARD_AUTH_H_

#include <cstddef>
#include <deque>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "httplib.h"

namespace corsd::http {

// The request the gateway asks about. Views point into the httplib::Request
// passed to ParseOriginalRequest or into `storage`: valid while both live.
// Not copyable or movable (views into its own storage).
struct OriginalRequest {
  OriginalRequest() = default;
  OriginalRequest(const OriginalRequest&) = delete;
  OriginalRequest& operator=(const OriginalRequest&) = delete;

  absl::string_view tenant;  // empty: resolve from host
  absl::string_view method;
  absl::string_view scheme;
  absl::string_view host;
  absl::string_view path;
  absl::optional<absl::string_view> origin;
  absl::optional<absl::string_view> access_control_request_method;
  absl::optional<absl::string_view> access_control_request_headers;
  absl::optional<absl::string_view> access_control_request_private_network;
  absl::string_view upgrade;
  absl::string_view connection;
  bool credentials = false;
  // Joined values of repeated headers (deque: elements never move).
  std::deque<std::string> storage;
};

struct ForwardAuthOptions {
  // Header carrying the tenant id; empty: none.
  std::string tenant_header;
  // Whether X-Original-Method must be present (true on /auth).
  bool require_original_method = true;
  // Largest accepted value of any header read here.
  size_t max_header_value_bytes = 8192;
};

// Fills *out from `request`. Errors (InvalidArgument; the message names the
// header, the value or its size, and what was expected):
//   * a header over options.max_header_value_bytes (after joining repeats);
//   * X-Original-Method missing when required, or empty, or not an HTTP
//     token;
//   * X-Original-Scheme other than "http" / "https";
//   * X-Corsd-Credentials other than "0" / "1".
// *out must be freshly constructed.
absl::Status ParseOriginalRequest(const httplib::Request& request,
                                  const ForwardAuthOptions& options,
                                  OriginalRequest* out);

}  // namespace corsd::http

#endif  // CORSD_SERVICE_HTTP_FORWARD_AUTH_H_
