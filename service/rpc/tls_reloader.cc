#include "service/rpc/tls_reloader.h"

#include <grpc/grpc.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <utility>

#include "absl/strings/str_cat.h"

namespace corsd::rpc {
namespace {

// grpc::ServerCredentials over a C grpc_server_credentials (the C++ API of
// gRPC 1.51 has no wrapper for a config fetcher's credentials). Owns one
// reference to `creds`.
class FetcherServerCredentials final : public grpc::ServerCredentials {
 public:
  explicit FetcherServerCredentials(grpc_server_credentials* creds)
      : creds_(creds) {}
  ~FetcherServerCredentials() override {
    grpc_server_credentials_release(creds_);
  }
  // Not used by corsd (bearer tokens are checked in AdminService).
  void SetAuthMetadataProcessor(
      const std::shared_ptr<grpc::AuthMetadataProcessor>&) override {}

 private:
  int AddPortToServer(const std::string& addr, grpc_server* server) override {
    return grpc_server_add_http2_port(server, addr.c_str(), creds_);
  }
  grpc_server_credentials* const creds_;
};

absl::StatusOr<std::string> ReadPem(const char* flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat(flag, " \"", path, "\": cannot be read"));
  }
  std::string contents(kMaxPemFileBytes + 1, '\0');
  in.read(contents.data(), static_cast<std::streamsize>(contents.size()));
  contents.resize(static_cast<size_t>(in.gcount()));
  if (contents.size() > kMaxPemFileBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, " \"", path, "\": larger than ", kMaxPemFileBytes, " bytes"));
  }
  if (contents.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " \"", path, "\": empty; expected PEM"));
  }
  return contents;
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
using Cert = std::unique_ptr<X509, X509Free>;
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;

Bio MemBio(const std::string& pem) {
  return Bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// The certificates of a PEM bundle; empty when none parses.
std::vector<Cert> ParseCerts(const std::string& pem) {
  std::vector<Cert> certs;
  Bio bio = MemBio(pem);
  while (bio != nullptr) {
    Cert cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (cert == nullptr) break;
    certs.push_back(std::move(cert));
  }
  ERR_clear_error();  // the read that ended the loop
  return certs;
}

absl::Status Validate(const std::string& cert_path, const std::string& cert,
                      const std::string& key_path, const std::string& key,
                      const std::string& ca_path, const std::string& ca) {
  std::vector<Cert> chain = ParseCerts(cert);
  if (chain.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-cert \"", cert_path,
                     "\": no PEM certificate parses; expected a PEM "
                     "\"CERTIFICATE\" chain"));
  }
  Bio bio = MemBio(key);
  Key pkey(bio != nullptr
               ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
               : nullptr);
  ERR_clear_error();
  if (pkey == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-key \"", key_path,
                     "\": no PEM private key parses (an encrypted key is not "
                     "supported)"));
  }
  if (X509_check_private_key(chain.front().get(), pkey.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-key \"", key_path,
                     "\": does not match the certificate of "
                     "--tls-cert \"",
                     cert_path, "\""));
  }
  if (!ca_path.empty() && ParseCerts(ca).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-client-ca \"", ca_path,
                     "\": no PEM certificate parses; expected a PEM bundle"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TlsReloader::Pems> TlsReloader::Read(
    const std::string& cert_path, const std::string& key_path,
    const std::string& client_ca_path) {
  Pems pems;
  absl::StatusOr<std::string> cert = ReadPem("--tls-cert", cert_path);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem("--tls-key", key_path);
  if (!key.ok()) return key.status();
  pems.cert = *std::move(cert);
  pems.key = *std::move(key);
  if (!client_ca_path.empty()) {
    absl::StatusOr<std::string> ca = ReadPem("--tls-client-ca", client_ca_path);
    if (!ca.ok()) return ca.status();
    pems.client_ca = *std::move(ca);
  }
  if (absl::Status s = Validate(cert_path, pems.cert, key_path, pems.key,
                                client_ca_path, pems.client_ca);
      !s.ok()) {
    return s;
  }
  return pems;
}

absl::Status TlsReloader::Check(const std::string& cert_path,
                                const std::string& key_path,
                                const std::string& client_ca_path) {
  return Read(cert_path, key_path, client_ca_path).status();
}

absl::StatusOr<std::unique_ptr<TlsReloader>> TlsReloader::Load(
    std::string cert_path, std::string key_path, std::string client_ca_path) {
  absl::StatusOr<Pems> pems = Read(cert_path, key_path, client_ca_path);
  if (!pems.ok()) return pems.status();
  return std::unique_ptr<TlsReloader>(
      new TlsReloader(std::move(cert_path), std::move(key_path),
                      std::move(client_ca_path), *std::move(pems)));
}

TlsReloader::TlsReloader(std::string cert_path, std::string key_path,
                         std::string client_ca_path, Pems pems)
    : cert_path_(std::move(cert_path)),
      key_path_(std::move(key_path)),
      client_ca_path_(std::move(client_ca_path)),
      current_(std::make_shared<const Pems>(std::move(pems))) {}

std::shared_ptr<grpc::ServerCredentials> TlsReloader::MakeCredentials() {
  Listener* listener;
  {
    absl::MutexLock lock(&mu_);
    listeners_.push_back(std::make_unique<Listener>());
    listener = listeners_.back().get();
    listener->owner = this;
  }
  grpc_ssl_server_credentials_options* options =
      grpc_ssl_server_credentials_create_options_using_config_fetcher(
          client_ca_path_.empty()
              ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
              : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY,
          &TlsReloader::Fetch, listener);
  // Takes ownership of `options`.
  grpc_server_credentials* creds =
      grpc_ssl_server_credentials_create_with_options(options);
  return std::make_shared<FetcherServerCredentials>(creds);
}

grpc_ssl_certificate_config_reload_status TlsReloader::Fetch(
    void* user_data, grpc_ssl_server_certificate_config** config) {
  Listener* listener = static_cast<Listener*>(user_data);
  TlsReloader* self = listener->owner;
  // Acquire: pairs with Reload's release store, so current_ below is at
  // least the one that generation published.
  const uint64_t generation = self->generation_.load(std::memory_order_acquire);
  if (listener->seen.load(std::memory_order_relaxed) == generation) {
    return GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_UNCHANGED;
  }
  std::shared_ptr<const Pems> pems;
  {
    absl::MutexLock lock(&self->mu_);
    pems = self->current_;
  }
  grpc_ssl_pem_key_cert_pair pair = {pems->key.c_str(), pems->cert.c_str()};
  // Copies the strings. gRPC 1.51 asserts that a fetched config has root
  // certificates even when no client certificate is asked for
  // (ssl_security_connector.cc, "config->pem_root_certs != nullptr"); without
  // --tls-client-ca the server's own chain stands in. It is never used:
  // GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE sends no certificate request,
  // so no client certificate is verified against it.
  *config = grpc_ssl_server_certificate_config_create(
      pems->client_ca.empty() ? pems->cert.c_str() : pems->client_ca.c_str(),
      &pair, 1);
  listener->seen.store(generation, std::memory_order_relaxed);  // see Listener
  return GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_NEW;
}

absl::Status TlsReloader::Reload() {
  absl::StatusOr<Pems> pems = Read(cert_path_, key_path_, client_ca_path_);
  if (!pems.ok()) {
    return absl::Status(
        pems.status().code(),
        absl::StrCat(pems.status().message(), " (old certificate kept)"));
  }
  auto next = std::make_shared<const Pems>(*std::move(pems));
  {
    absl::MutexLock lock(&mu_);
    current_.swap(next);
  }
  // Release: a fetcher that sees the new generation sees the new current_.
  generation_.fetch_add(1, std::memory_order_release);
  return absl::OkStatus();
}

uint64_t TlsReloader::reloads() const {
  // Relaxed: a count for reporting.
  return generation_.load(std::memory_order_relaxed) - 1;
}

}  // namespace corsd::rpc
