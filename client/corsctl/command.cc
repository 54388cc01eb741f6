#include "client/corsctl/command.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "client/corsctl/json.h"
#include "client/status.h"

namespace corsd::corsctl {

void AddGlobalFlags(FlagSet* flags, GlobalOptions* options) {
  flags->String("addr", "HOST:PORT", &options->addr,
                "decision endpoint (env CORSD_ADDR; default 127.0.0.1:7700)");
  flags->String("admin-addr", "HOST:PORT", &options->admin_addr,
                "admin endpoint (env CORSD_ADMIN_ADDR; default "
                "127.0.0.1:7701)");
  flags->String("token-file", "FILE", &options->token_file,
                "admin bearer token: first non-empty line of FILE (env "
                "CORSD_TOKEN_FILE)");
  flags->String("tls-ca", "FILE", &options->tls_ca,
                "PEM CA bundle: connect with TLS and verify the server");
  flags->String("tls-cert", "FILE", &options->tls_cert,
                "PEM client certificate for mTLS (with --tls-key)");
  flags->String("tls-key", "FILE", &options->tls_key,
                "PEM client private key for mTLS (with --tls-cert)");
  flags->Uint("timeout-ms", "MS", &options->timeout_ms, 3600 * 1000,
              "deadline of each call in milliseconds (default 10000)");
  flags->Bool("json", &options->json, "print JSON for scripts");
  flags->Bool("help", &options->help, "print this help");
}

absl::Status ResolveGlobalOptions(const FlagSet& flags, const Env& env,
                                  GlobalOptions* options) {
  if (!flags.Seen("addr") && !env.corsd_addr.empty()) {
    options->addr = env.corsd_addr;
  }
  if (!flags.Seen("admin-addr") && !env.corsd_admin_addr.empty()) {
    options->admin_addr = env.corsd_admin_addr;
  }
  if (!flags.Seen("token-file") && !env.corsd_token_file.empty()) {
    options->token_file = env.corsd_token_file;
  }
  if (options->tls_cert.empty() != options->tls_key.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert and --tls-key go together (mTLS needs both)");
  }
  if (!options->tls_cert.empty() && options->tls_ca.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert needs --tls-ca (mTLS runs over TLS)");
  }
  return absl::OkStatus();
}

std::string GlobalFlagsHelp() {
  FlagSet flags;
  GlobalOptions options;
  AddGlobalFlags(&flags, &options);
  return flags.Help();
}

int ParseCommandLine(const Invocation& inv, absl::string_view usage,
                     FlagSet* flags, GlobalOptions* options,
                     std::vector<std::string>* positional) {
  absl::Status status = flags->Parse(inv.args, positional);
  if (!status.ok()) return UsageError(inv, status.message());
  if (options->help) {
    *inv.out << usage << "\nFlags:\n" << flags->Help();
    return -1;
  }
  status = ResolveGlobalOptions(*flags, inv.env, options);
  if (!status.ok()) return UsageError(inv, status.message());
  return kExitOk;
}

namespace {

client::ClientOptions MakeClientOptions(const GlobalOptions& options,
                                        const std::string& addr) {
  client::ClientOptions out;
  out.connection.addr = addr;
  out.connection.tls_ca_file = options.tls_ca;
  out.connection.tls_cert_file = options.tls_cert;
  out.connection.tls_key_file = options.tls_key;
  out.connection.token_file = options.token_file;
  out.timeout = absl::Milliseconds(options.timeout_ms);
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<client::AdminClient>> ConnectAdmin(
    const GlobalOptions& options) {
  return client::AdminClient::Create(
      MakeClientOptions(options, options.admin_addr));
}

absl::StatusOr<std::unique_ptr<client::DeciderClient>> ConnectDecider(
    const GlobalOptions& options) {
  client::ClientOptions client_options =
      MakeClientOptions(options, options.addr);
  client_options.connection.token_file.clear();  // decisions need none
  return client::DeciderClient::Create(client_options);
}

int ReportFailure(const Invocation& inv, const GlobalOptions& options,
                  const absl::Status& status,
                  absl::FunctionRef<std::string(uint64_t)> label) {
  *inv.err << "corsctl: " << status.message() << "\n";
  absl::optional<corsd::v1::BatchErrors> errors = client::BatchErrorsOf(status);
  std::string items = "[";
  if (errors.has_value()) {
    for (const corsd::v1::ItemError& item : errors->errors()) {
      std::string name = label(item.index());
      *inv.err << "  " << name << ": " << item.field() << " \"" << item.value()
               << "\": " << item.message() << "\n";
      if (items.size() > 1) items += ",";
      items += JsonObject()
                   .Add("index", item.index())
                   .Add("item", name)
                   .Add("field", item.field())
                   .Add("value", item.value())
                   .Add("message", item.message())
                   .Build();
    }
    if (errors->total() > static_cast<uint64_t>(errors->errors_size())) {
      *inv.err << "  ... " << errors->total() - errors->errors_size()
               << " more refused item(s) not listed\n";
    }
  }
  items += "]";
  if (options.json) {
    *inv.out << JsonObject()
                    .Add("ok", false)
                    .Add("code", absl::StatusCodeToString(status.code()))
                    .Add("error", status.message())
                    .AddRaw("items", items)
                    .Add("total",
                         errors.has_value() ? errors->total() : uint64_t{0})
                    .Build()
             << "\n";
  }
  return kExitFailed;
}

std::string ProtoJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  std::string out;
  auto status =
      google::protobuf::util::MessageToJsonString(message, &out, print);
  if (!status.ok()) return "null";
  return out;
}

int UsageError(const Invocation& inv, absl::string_view message) {
  *inv.err << "corsctl: " << message << "\n";
  return kExitUsage;
}

int Failed(const Invocation& inv, const absl::Status& status) {
  *inv.err << "corsctl: " << status.message() << "\n";
  return kExitFailed;
}

}  // namespace corsd::corsctl
