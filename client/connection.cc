#include "client/connection.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/support/channel_arguments.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace corsd::client {

namespace {

// Export chunks and import chunks run to a few MiB; leave headroom.
constexpr int kMaxMessageBytes = 64 << 20;

absl::StatusOr<std::string> ReadFile(const std::string& path,
                                     absl::string_view what, size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    std::string message =
        absl::StrCat("cannot read ", what, " \"", path, "\": ", strerror(err));
    if (err == ENOENT) return absl::NotFoundError(message);
    if (err == EACCES) return absl::PermissionDeniedError(message);
    return absl::InternalError(message);
  }
  std::string data;
  char buf[8192];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    data.append(buf, static_cast<size_t>(in.gcount()));
    if (data.size() > limit) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, " \"", path, "\" is larger than ", limit, " bytes"));
    }
  }
  return data;
}

class BearerPlugin : public grpc::MetadataCredentialsPlugin {
 public:
  explicit BearerPlugin(std::string token)
      : value_(absl::StrCat("Bearer ", token)) {}
  // The token is in memory: no need for a separate thread.
  bool IsBlocking() const override { return false; }
  const char* GetType() const override { return "corsd-bearer"; }
  grpc::Status GetMetadata(
      grpc::string_ref /*service_url*/, grpc::string_ref /*method_name*/,
      const grpc::AuthContext& /*channel_auth_context*/,
      std::multimap<grpc::string, grpc::string>* metadata) override {
    metadata->emplace("authorization", value_);
    return grpc::Status::OK;
  }
  grpc::string DebugString() override { return "corsd bearer token"; }

 private:
  const std::string value_;
};

}  // namespace

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  absl::StatusOr<std::string> data =
      ReadFile(path, "token file", kMaxTokenFileBytes);
  if (!data.ok()) return data.status();
  for (absl::string_view line : absl::StrSplit(*data, '\n')) {
    absl::string_view token = absl::StripAsciiWhitespace(line);
    if (token.empty()) continue;
    for (char c : token) {
      if (c < 0x21 || c > 0x7E) {
        return absl::InvalidArgumentError(absl::StrCat(
            "token file \"", path,
            "\": the token has a byte outside visible ASCII (0x",
            absl::Hex(static_cast<unsigned char>(c)),
            "); expected a bearer token on the first non-empty line"));
      }
    }
    return std::string(token);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "token file \"", path, "\" is empty; expected a bearer token"));
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>
MakeChannelCredentials(const ConnectionOptions& options) {
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "tls_cert_file and tls_key_file go together (mTLS needs both)");
  }
  if (options.tls_ca_file.empty()) {
    if (!options.tls_cert_file.empty()) {
      return absl::InvalidArgumentError(
          "tls_cert_file is set but tls_ca_file is empty; mTLS runs over TLS");
    }
    return grpc::InsecureChannelCredentials();
  }
  grpc::SslCredentialsOptions ssl;
  constexpr size_t kMaxPem = 1 << 20;
  absl::StatusOr<std::string> ca =
      ReadFile(options.tls_ca_file, "TLS CA file", kMaxPem);
  if (!ca.ok()) return ca.status();
  ssl.pem_root_certs = *std::move(ca);
  if (!options.tls_cert_file.empty()) {
    absl::StatusOr<std::string> cert =
        ReadFile(options.tls_cert_file, "TLS certificate file", kMaxPem);
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key =
        ReadFile(options.tls_key_file, "TLS key file", kMaxPem);
    if (!key.ok()) return key.status();
    ssl.pem_cert_chain = *std::move(cert);
    ssl.pem_private_key = *std::move(key);
  }
  return grpc::SslCredentials(ssl);
}

std::shared_ptr<grpc::CallCredentials> BearerTokenCredentials(
    std::string token) {
  return grpc::experimental::MetadataCredentialsFromPlugin(
      std::make_unique<BearerPlugin>(std::move(token)), GRPC_SECURITY_NONE);
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> ChannelCache::Get(
    const ConnectionOptions& options) {
  std::string key =
      absl::StrCat(options.addr, "\n", options.tls_ca_file, "\n",
                   options.tls_cert_file, "\n", options.tls_key_file);
  absl::MutexLock lock(&mu_);
  auto it = channels_.find(key);
  if (it != channels_.end()) return it->second;
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds =
      MakeChannelCredentials(options);
  if (!creds.ok()) return creds.status();
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(options.addr, *creds, args);
  channels_.emplace(std::move(key), channel);
  return channel;
}

}  // namespace corsd::client
