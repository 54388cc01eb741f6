// Server: corsd's two gRPC listeners over a core it is given (built by
// service/app/core.h; the Server owns none of it):
//   * decision listener (--listen): Decider + envoy Authorization/Check
//     (sync API for unary calls, callback API for DecideStream; see
//     server_options.h); plus Health and reflection. No Admin: an Admin call
//     here is UNIMPLEMENTED, so decision clients can never change anything.
//   * admin listener (--admin-listen): Admin (bearer tokens required, each
//     scoped to tenants; every write recorded in the audit log), sync API on
//     its own threads; plus Health and reflection.
// service/app/app.h starts it beside the HTTP door; tests may start one
// in-process over a core of their own.
//
// Health (grpc.health.v1.Health, both listeners; service "" and each
// service's full name): NOT_SERVING until the Catalog is loaded and
// Catalog::Ready(), then SERVING; a background thread re-reads Ready()
// every ServerConfig::readiness_poll and flips it (a PostgreSQL follower
// that lags or disconnects goes NOT_SERVING). Shutdown sets NOT_SERVING
// first, so load balancers drain.
//
// Thread safety: the accessors and Serving() may be called from any thread.
// Shutdown and Wait may be called from any thread; Shutdown is idempotent.
// The destructor shuts down (zero grace) if Shutdown was not called.
#ifndef CORSD_SERVICE_RPC_SERVER_H_
#define CORSD_SERVICE_RPC_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/door/run_path.h"
#include "service/rpc/server_options.h"

namespace corsd::store {
class Catalog;
}  // namespace corsd::store
namespace corsd::verify {
class Verifier;
}  // namespace corsd::verify
namespace corsd::tenant_view {
class RefusalView;
}  // namespace corsd::tenant_view
namespace corsd::whatif {
class WhatIf;
}  // namespace corsd::whatif

namespace corsd::rpc {

struct ServerConfig {
  // "HOST:PORT" ("[::1]:PORT" for IPv6); port 0 binds a free port.
  std::string listen = "127.0.0.1:7700";
  std::string admin_listen = "127.0.0.1:7701";
  // Bearer tokens for Admin, with ids and tenant scopes (admin_auth.h file
  // format). Required. Re-read by Reload.
  std::string admin_token_file;
  // The admin audit log (audit_log.h): a file, "-" for standard error, ""
  // for none. Reopened by Reload.
  std::string audit_log;
  // PEM files. cert and key together enable TLS on both listeners; client_ca
  // (needs cert and key) also requires and verifies client certificates
  // (mTLS). All empty: insecure (plaintext) listeners. Re-read by Reload
  // (tls_reloader.h).
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  // The tenant header, last in the tenant order every door shares
  // (service/door/run_path.h); any case; "" = none.
  std::string tenant_header = "x-corsd-tenant";
  // Transport settings of both listeners.
  ServerOptions transport;
  // How often health re-reads Catalog::Ready().
  absl::Duration readiness_poll = absl::Milliseconds(200);
};

// The core the listeners serve. Not owned; everything outlives the Server.
struct ServerCore {
  door::DecisionDeps decisions;          // engine and epochs required
  store::Catalog* catalog = nullptr;     // required (Admin writes, health)
  verify::Verifier* verifier = nullptr;  // optional (Admin VerifyDomain)
  // Optional (Admin TopRefused; null: FAILED_PRECONDITION).
  const tenant_view::RefusalView* tenant_view = nullptr;
  // Optional (Admin WhatIf; null: FAILED_PRECONDITION).
  const whatif::WhatIf* what_if = nullptr;
};

class Server {
 public:
  // Binds and starts both listeners over `core`, sets health. Errors
  // (nothing left running):
  //   InvalidArgument naming the flag: bad listen address, transport option
  //     out of range, tls_key without tls_cert (or the reverse), tls_client_ca
  //     without them, admin_token_file empty or not a valid token file; a
  //     required part of `core` missing; a TLS file that does not parse or a
  //     key that does not match its certificate;
  //   NotFound: a TLS or token file cannot be read, the audit log's directory
  //     does not exist;
  //   Unavailable: an address cannot be bound (in use, not local).
  static absl::StatusOr<std::unique_ptr<Server>> Start(
      const ServerConfig& config, const ServerCore& core);

  // What Start checks of `config` before it binds anything (transport
  // options, TLS and token files read and parsed, listen addresses), with
  // the same errors, so a caller can refuse bad flags before opening a
  // store. Reads files; starts nothing.
  static absl::Status CheckConfig(const ServerConfig& config);

  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // "HOST:PORT" actually bound (the real port when 0 was asked), as printed
  // on corsd's "listening" lines.
  const std::string& decision_address() const;
  const std::string& admin_address() const;
  int decision_port() const;
  int admin_port() const;

  // True while health says SERVING.
  bool Serving() const;

  // Health NOT_SERVING, then stops both listeners: no new calls, in-flight
  // calls get until now + grace to finish, then are cancelled. Returns when
  // both servers have stopped. Idempotent.
  void Shutdown(absl::Duration grace);
  // Blocks until Shutdown has completed (from another thread).
  void Wait();

  // SIGHUP (App::Reload): re-reads the admin token file (parsed whole
  // first; AdminTokenStore::ReloadFile), the TLS certificate, key and client
  // CA (validated first; TlsReloader::Reload: new handshakes get them,
  // established connections keep theirs), and reopens the audit log file.
  // Each step runs even when an earlier one failed, and what failed keeps
  // its old state. Returns OK, or the first error with the others appended
  // (each names its flag and file; a token file error names the line).
  // Call from one thread at a time; admin calls and handshakes go on
  // meanwhile.
  absl::Status Reload();

  // Appends the audit log's counters (AuditLog::RenderPrometheus) for
  // /metrics; nothing without an audit log.
  void RenderMetrics(std::string* out) const;

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace corsd::rpc

#endif  // CORSD_SERVICE_RPC_SERVER_H_
