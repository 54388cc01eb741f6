// App: corsd wired together, the one place that does it. Opens the Core
// (service/app/core.h) and starts every door over it: the gRPC listeners
// (rpc::Server: Decider + ext_authz, Admin) and, when asked, the HTTP door
// (http::HttpServer). The doors share the core and nothing else; none of
// them builds or owns any of it. main.cc only turns flags into an AppConfig,
// prints the startup lines and waits for a signal; SIGHUP calls Reload.
//
// Thread safety: the accessors and Serving() may be called from any thread;
// Shutdown is idempotent and may be called from any thread; Reload may be
// called from any thread, one call at a time (main's signal loop).
#ifndef CORSD_SERVICE_APP_APP_H_
#define CORSD_SERVICE_APP_APP_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/app/core.h"
#include "service/http/http_server.h"
#include "service/rpc/server.h"

namespace corsd::app {

struct AppConfig {
  CoreConfig core;
  // The gRPC listeners; rpc.tenant_header is also the HTTP door's.
  rpc::ServerConfig rpc;
  // "HOST:PORT" of the HTTP door; empty: no HTTP door.
  std::string http_listen;
  // The HTTP door's event loops; 0: one per core.
  int http_threads = 0;
  // Hosts /ask always approves (--saas-hosts).
  std::vector<std::string> saas_hosts;
};

class App {
 public:
  // Opens the core, then starts the gRPC listeners and the HTTP door.
  // Errors (nothing left running): Core::Open's, rpc::Server::Start's,
  // http::HttpServer::Start's (each names the flag or field at fault).
  static absl::StatusOr<std::unique_ptr<App>> Start(const AppConfig& config);

  // Shuts down (zero grace) if Shutdown was not called.
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // The bound addresses ("HOST:PORT", real ports when 0 was asked);
  // http_address() is empty without an HTTP door.
  const std::string& decision_address() const;
  const std::string& admin_address() const;
  std::string http_address() const;
  int decision_port() const;
  int admin_port() const;
  int http_port() const;  // 0 without an HTTP door

  // True while gRPC health says SERVING (tables loaded, store ready).
  bool Serving() const;

  const Core& core() const { return *core_; }

  // SIGHUP: the one place corsd re-reads what an operator may change while
  // it runs, without dropping a connection: the decision log is reopened
  // (after logrotate renamed the file); the admin token file, the TLS
  // certificate, key and client CA are re-read and the audit log reopened
  // (rpc::Server::Reload). Each step is independent of the others: every
  // step runs even when an earlier one failed. Returns OK, or the first
  // error (the others are appended to its message); what failed keeps its
  // old state.
  absl::Status Reload();

  // Stops the HTTP door (drains its connections), then the gRPC listeners
  // (health NOT_SERVING first; in-flight calls get `grace`). The core stays
  // until the App is destroyed. Idempotent.
  void Shutdown(absl::Duration grace);

 private:
  App() = default;

  std::unique_ptr<Core> core_;
  std::unique_ptr<rpc::Server> rpc_;
  std::unique_ptr<http::HttpServer> http_;
};

}  // namespace corsd::app

#endif  // CORSD_SERVICE_APP_APP_H_
