// TlsReloader: the TLS certificate, key and client CA of corsd's gRPC
// listeners (--tls-cert, --tls-key, --tls-client-ca), re-read on SIGHUP
// (Reload) without dropping a connection.
//
// How (gRPC 1.51): each listener's credentials are SSL server credentials
// built on a certificate-config *fetcher*
// (grpc_ssl_server_credentials_create_options_using_config_fetcher, the
// stable C API of grpc/grpc_security.h). gRPC calls the fetcher at the start
// of every TLS handshake on that listener; it answers "unchanged" (an atomic
// load and a compare) until Reload has installed new files, then hands over
// the new PEMs once and gRPC builds a new handshaker factory from them. So:
// established connections (and their calls) keep the certificate they
// negotiated and are never closed; the first handshake after Reload returns,
// and every later one, presents the new certificate. No file watcher, no
// polling interval. (FileWatcherCertificateProvider would swap only on its
// own refresh timer, not when told; StaticDataCertificateProvider never.)
//
// Reload reads all three files and validates them before anything changes:
// the chain parses as PEM X.509 (at least one certificate), the key parses
// and matches the chain's first certificate, the CA bundle (when configured)
// parses. On any error the old files stay in force.
//
// Thread safety / invariants: Reload and MakeCredentials may be called from
// any thread; the fetcher runs on gRPC's handshake threads (per listener,
// under that listener's security-connector mutex). `current_` is replaced
// under `mu_`, then `generation_` is bumped with a release store; a fetcher
// that sees the new generation (acquire load) then reads `current_` under
// `mu_`. The TlsReloader must outlive every grpc::Server built with its
// credentials (the fetchers hold raw pointers to it).
#ifndef CORSD_SERVICE_RPC_TLS_RELOADER_H_
#define CORSD_SERVICE_RPC_TLS_RELOADER_H_

#include <grpc/grpc_security.h>
#include <grpcpp/security/server_credentials.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace corsd::rpc {

// Largest PEM file read (certificate chain, key, CA bundle).
inline constexpr size_t kMaxPemFileBytes = 1 << 20;

class TlsReloader {
 public:
  // Reads and validates the files (see the file comment). cert and key are
  // required; client_ca may be empty (no client certificates asked for);
  // when set, client certificates are required and verified (mTLS).
  // Errors: NotFound naming the flag and path when a file cannot be read;
  // InvalidArgument naming the flag when a file is empty, larger than
  // kMaxPemFileBytes, does not parse, or the key does not match the
  // certificate.
  static absl::StatusOr<std::unique_ptr<TlsReloader>> Load(
      std::string cert_path, std::string key_path, std::string client_ca_path);

  // Fresh server credentials (one per listener; each remembers what it has
  // handed to gRPC). Never null.
  std::shared_ptr<grpc::ServerCredentials> MakeCredentials();

  // Re-reads and validates the files; on success new handshakes on every
  // listener use them. On error (Load's codes; the message ends with
  // "(old certificate kept)") nothing changes.
  absl::Status Reload();

  // How many times Reload succeeded.
  uint64_t reloads() const;

  // Reads and validates without a TlsReloader (Server::CheckConfig).
  static absl::Status Check(const std::string& cert_path,
                            const std::string& key_path,
                            const std::string& client_ca_path);

 private:
  struct Pems {
    std::string cert;
    std::string key;
    std::string client_ca;  // "" = none
  };
  // What one listener's fetcher has handed to gRPC.
  struct Listener {
    TlsReloader* owner = nullptr;
    // Generation last handed over; touched only by that listener's fetcher
    // calls, which gRPC serializes (relaxed: no data rides on it).
    std::atomic<uint64_t> seen{0};
  };

  TlsReloader(std::string cert_path, std::string key_path,
              std::string client_ca_path, Pems pems);
  static absl::StatusOr<Pems> Read(const std::string& cert_path,
                                   const std::string& key_path,
                                   const std::string& client_ca_path);
  static grpc_ssl_certificate_config_reload_status Fetch(
      void* user_data, grpc_ssl_server_certificate_config** config);

  const std::string cert_path_;
  const std::string key_path_;
  const std::string client_ca_path_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const Pems> current_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Listener>> listeners_ ABSL_GUARDED_BY(mu_);
  // Starts at 1; bumped (release) after each successful Reload swapped
  // current_.
  std::atomic<uint64_t> generation_{1};
};

}  // namespace corsd::rpc

#endif  // CORSD_SERVICE_RPC_TLS_RELOADER_H_
