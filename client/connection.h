// Connections to corsd: channel credentials (plaintext, TLS, mTLS), the admin
// bearer token as call credentials, and a cache that hands out one channel
// per address so every client of a process shares its HTTP/2 connection.
#ifndef CORSD_CLIENT_CONNECTION_H_
#define CORSD_CLIENT_CONNECTION_H_

#include <grpcpp/channel.h>
#include <grpcpp/security/credentials.h>

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace corsd::client {

// Where and how to connect. With tls_ca_file empty the channel is plaintext
// (meant for loopback and trusted networks).
struct ConnectionOptions {
  std::string addr;           // "host:port", as gRPC targets take it
  std::string tls_ca_file;    // PEM roots that verify the server
  std::string tls_cert_file;  // PEM client chain for mTLS (with key)
  std::string tls_key_file;   // PEM client private key for mTLS
  std::string token_file;     // admin bearer token; empty: none sent
};

// Largest token file read, in bytes.
inline constexpr size_t kMaxTokenFileBytes = 64 * 1024;

// The token in `path`: its first non-empty line, surrounding whitespace
// removed. Errors: NotFound / PermissionDenied / Internal when the file cannot
// be read (naming the path and errno text); InvalidArgument when it is larger
// than kMaxTokenFileBytes, has no non-empty line, or the token has a byte
// outside visible ASCII (it would not be a valid header value).
absl::StatusOr<std::string> ReadTokenFile(const std::string& path);

// Channel credentials for `options`: plaintext, or TLS with the CA file's
// roots and, when both are set, the client certificate and key. Errors: as
// reading a file (naming it); InvalidArgument when only one of cert/key is
// set, or a cert/key is set without a CA file.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>
MakeChannelCredentials(const ConnectionOptions& options);

// Call credentials that add "authorization: Bearer <token>" to every call.
// They are sent on plaintext channels too (min security level NONE): corsd's
// admin listener is often on loopback without TLS. `token` must be a valid
// header value (ReadTokenFile checks it).
std::shared_ptr<grpc::CallCredentials> BearerTokenCredentials(
    std::string token);

// Hands out one channel per (address, TLS files): the first Get creates it,
// later ones share it. Channels connect lazily; Get never blocks on the
// network. Thread-safe. Channels live as long as the cache or a holder.
class ChannelCache {
 public:
  // Errors: as MakeChannelCredentials.
  absl::StatusOr<std::shared_ptr<grpc::Channel>> Get(
      const ConnectionOptions& options) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<grpc::Channel>> channels_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace corsd::client

#endif  // CORSD_CLIENT_CONNECTION_H_
