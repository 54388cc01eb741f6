// Integration: admin credentials against the real corsd (port 0) -- tenant
// scopes on every Admin RPC (in and out of scope, lists filtered), the audit
// log's lines field by field, and SIGHUP rotation of the token file and the
// TLS certificate under concurrent Decide and admin load, counting failed
// calls (there must be none).
//
// Tokens of every test (besides the ones a test writes itself):
//   global-token id=ops                                (every tenant)
//   shop-token   id=ci-shop tenants=shop,shop-eu
//   blog-token   tenants=blog                         (id: fingerprint)
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "corsd/v1/admin.grpc.pb.h"
#include "corsd/v1/decision.grpc.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "service/rpc/admin_auth.h"
#include "service/rpc/testing/corsd_process.h"

namespace corsd::rpc {
namespace {

using ::corsd::testing::CorsdProcess;
using ::corsd::testing::CorsdProcessOptions;
namespace v1 = ::corsd::v1;

constexpr char kGlobal[] = "Bearer global-token";
constexpr char kShop[] = "Bearer shop-token";
constexpr char kBlog[] = "Bearer blog-token";

std::unique_ptr<grpc::ClientContext> Context(const std::string& auth) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(10));
  if (!auth.empty()) context->AddMetadata("authorization", auth);
  return context;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Writes `text` to `path` through a rename, so corsd never reads half a file.
void WriteFileAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
  }
  ASSERT_EQ(std::rename(tmp.c_str(), path.c_str()), 0) << path;
}

int RunShell(const std::string& command, std::string* output) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) output->append(buf, n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A corsd with the three tokens above, an audit log file and the custom
// domain verifier off (VerifyDomain then answers UNAVAILABLE after its scope
// check, without DNS), and tenants shop, shop-eu and blog: origins
// https://shared.example in shop and blog, https://<tenant>.example in each,
// a domain www.<tenant>.example in shop and blog.
class AdminScopeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "/admin_scope_test_", getpid());
    std::string out;
    ASSERT_EQ(RunShell("rm -rf " + dir_ + " && mkdir -p " + dir_, &out), 0)
        << out;
    token_file_ = dir_ + "/tokens";
    audit_file_ = dir_ + "/audit.log";
    WriteFileAtomically(token_file_,
                        "# admin_scope_test\n"
                        "global-token id=ops\n"
                        "shop-token id=ci-shop tenants=shop,shop-eu\n"
                        "blog-token tenants=blog\n");
  }

  void TearDown() override {
    corsd_.reset();
    std::string out;
    RunShell("rm -rf " + dir_, &out);
  }

  void StartCorsd(std::vector<std::string> extra = {}, bool http = false) {
    CorsdProcessOptions options;
    options.binary = CORSD_BINARY;
    options.http = http;
    options.extra_args = {
        "--admin-token-file",          token_file_, "--audit-log", audit_file_,
        "--domain-verify-concurrency", "0"};
    options.extra_args.insert(options.extra_args.end(), extra.begin(),
                              extra.end());
    auto started = CorsdProcess::Start(options);
    ASSERT_TRUE(started.ok()) << started.status();
    corsd_ = *std::move(started);
  }

  void Populate(const std::shared_ptr<grpc::Channel>& channel) {
    auto admin = v1::Admin::NewStub(channel);
    for (const char* id : {"shop", "shop-eu", "blog"}) {
      v1::PutTenantRequest put;
      put.mutable_tenant()->set_id(id);
      v1::PutTenantResponse response;
      grpc::Status s = admin->PutTenant(Context(kGlobal).get(), put, &response);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
    v1::WriteEntriesRequest write;
    for (const auto& [tenant, origin] :
         std::vector<std::pair<std::string, std::string>>{
             {"shop", "https://shared.example"},
             {"blog", "https://shared.example"},
             {"shop", "https://shop.example"},
             {"shop-eu", "https://shop-eu.example"},
             {"blog", "https://blog.example"}}) {
      v1::EntryOp* op = write.add_ops();
      op->set_op(v1::EntryOp::OP_ADD);
      op->set_kind(v1::ENTRY_KIND_ORIGIN);
      op->set_tenant(tenant);
      op->set_value(origin);
    }
    v1::WriteEntriesResponse written;
    grpc::Status s =
        admin->WriteEntries(Context(kGlobal).get(), write, &written);
    ASSERT_TRUE(s.ok()) << s.error_message();
    for (const char* tenant : {"shop", "blog"}) {
      v1::AddDomainRequest add;
      add.set_tenant(tenant);
      add.set_host(absl::StrCat("www.", tenant, ".example"));
      v1::DomainInfo info;
      s = admin->AddDomain(Context(kGlobal).get(), add, &info);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
  }

  std::shared_ptr<grpc::Channel> AdminChannel() {
    return grpc::CreateChannel(corsd_->admin_address(),
                               grpc::InsecureChannelCredentials());
  }

  // The audit log's lines, parsed.
  std::vector<google::protobuf::Struct> AuditLines() {
    std::vector<google::protobuf::Struct> lines;
    for (absl::string_view line :
         absl::StrSplit(ReadFile(audit_file_), '\n', absl::SkipEmpty())) {
      google::protobuf::Struct parsed;
      EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(std::string(line),
                                                              &parsed)
                      .ok())
          << line;
      lines.push_back(std::move(parsed));
    }
    return lines;
  }

  std::string dir_;
  std::string token_file_;
  std::string audit_file_;
  std::unique_ptr<CorsdProcess> corsd_;
};

// GET `path` from "HOST:PORT" over plain HTTP/1.1; the whole response.
std::string HttpGet(const std::string& address, const std::string& path) {
  const size_t colon = address.rfind(':');
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port =
      htons(static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
  inet_pton(AF_INET, address.substr(0, colon).c_str(), &sa.sin_addr);
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0) {
    const std::string request =
        "GET " + path + " HTTP/1.1\r\nHost: corsd\r\nConnection: close\r\n\r\n";
    if (::write(fd, request.data(), request.size()) ==
        static_cast<ssize_t>(request.size())) {
      char buf[4096];
      ssize_t n;
      while ((n = ::read(fd, buf, sizeof(buf))) > 0) {
        response.append(buf, static_cast<size_t>(n));
      }
    }
  }
  ::close(fd);
  return response;
}

// One Admin RPC naming one tenant.
struct TenantRpc {
  const char* name;
  std::function<grpc::Status(v1::Admin::Stub*, const std::string& auth,
                             const std::string& tenant)>
      call;
};

std::vector<TenantRpc> TenantRpcs() {
  return {
      {"PutTenant",
       [](v1::Admin::Stub* a, const std::string& auth, const std::string& t) {
         v1::PutTenantRequest r;
         r.mutable_tenant()->set_id(t);
         v1::PutTenantResponse out;
         return a->PutTenant(Context(auth).get(), r, &out);
       }},
      {"GetTenant",
       [](v1::Admin::Stub* a, const std::string& auth, const std::string& t) {
         v1::GetTenantRequest r;
         r.set_id(t);
         v1::TenantInfo out;
         return a->GetTenant(Context(auth).get(), r, &out);
       }},
      {"WriteEntries",
       [](v1::Admin::Stub* a, const std::string& auth, const std::string& t) {
         v1::WriteEntriesRequest r;
         v1::EntryOp* op = r.add_ops();
         op->set_op(v1::EntryOp::OP_ADD);
         op->set_kind(v1::ENTRY_KIND_ORIGIN);
         op->set_tenant(t);
         op->set_value("https://added." + t + ".example");
         v1::WriteEntriesResponse out;
         return a->WriteEntries(Context(auth).get(), r, &out);
       }},
      {"ListEntries",
       [](v1::Admin::Stub* a, const std::string& auth, const std::string& t) {
         v1::ListEntriesRequest r;
         r.set_tenant(t);
         r.set_kind(v1::ENTRY_KIND_ORIGIN);
         v1::ListEntriesResponse out;
         return a->ListEntries(Context(auth).get(), r, &out);
       }},
      {"Import",
       [](v1::Admin::Stub* a, const std::string& auth, const std::string& t) {
         v1::ImportResponse out;
         auto context = Context(auth);
         auto writer = a->Import(context.get(), &out);
         v1::ImportChunk chunk;
         chunk.add_tenants()->set_id(t);
         v1::EntryOp* op = chunk.add_ops();
         op->set_op(v1::EntryOp::OP_ADD);
         op->set_kind(v1::ENTRY_KIND_ORIGIN);
         op->set_tenant(t);
         op->set_value("https://imported." + t + ".example");
         writer->Write(chunk);
         writer->WritesDone();
         return writer->Finish();
       }},
      {"AddDomain",
       [](v1::Admin::Stub* a, const std::string& auth, const std::string& t) {
         v1::AddDomainRequest r;
         r.set_tenant(t);
         r.set_host("api." + t + ".example");
         v1::DomainInfo out;
         return a->AddDomain(Context(auth).get(), r, &out);
       }},
      {"GetDomain",
       [](v1::Admin::Stub* a, const std::string& auth, const std::string& t) {
         v1::DomainRequest r;
         r.set_tenant(t);
         r.set_host("api." + t + ".example");
         v1::DomainInfo out;
         return a->GetDomain(Context(auth).get(), r, &out);
       }},
      {"ListDomains",
       [](v1::Admin::Stub* a, const std::string& auth, const std::string& t) {
         v1::ListDomainsRequest r;
         r.set_tenant(t);
         v1::ListDomainsResponse out;
         return a->ListDomains(Context(auth).get(), r, &out);
       }},
      {"VerifyDomain",
       [](v1::Admin::Stub* a, const std::string& auth, const std::string& t) {
         v1::DomainRequest r;
         r.set_tenant(t);
         r.set_host("api." + t + ".example");
         v1::DomainInfo out;
         return a->VerifyDomain(Context(auth).get(), r, &out);
       }},
      {"RemoveDomain",
       [](v1::Admin::Stub* a, const std::string& auth, const std::string& t) {
         v1::DomainRequest r;
         r.set_tenant(t);
         r.set_host("api." + t + ".example");
         v1::RemoveDomainResponse out;
         return a->RemoveDomain(Context(auth).get(), r, &out);
       }},
      // Last: it removes the tenant.
      {"DeleteTenant",
       [](v1::Admin::Stub* a, const std::string& auth, const std::string& t) {
         v1::DeleteTenantRequest r;
         r.set_id(t);
         v1::DeleteTenantResponse out;
         return a->DeleteTenant(Context(auth).get(), r, &out);
       }},
  };
}

// Each tenant RPC x {in scope, out of scope, global token, no valid token}.
TEST_F(AdminScopeTest, EveryTenantRpcChecksTheScope) {
  ASSERT_NO_FATAL_FAILURE(StartCorsd());
  auto channel = AdminChannel();
  ASSERT_NO_FATAL_FAILURE(Populate(channel));
  auto admin = v1::Admin::NewStub(channel);
  for (const TenantRpc& rpc : TenantRpcs()) {
    SCOPED_TRACE(rpc.name);
    // Out of scope: refused, naming the token and its scope, never "blog".
    grpc::Status out = rpc.call(admin.get(), kShop, "blog");
    EXPECT_EQ(out.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << out.error_message();
    EXPECT_NE(out.error_message().find("\"ci-shop\""), std::string::npos)
        << out.error_message();
    EXPECT_NE(out.error_message().find("tenants shop, shop-eu"),
              std::string::npos)
        << out.error_message();
    EXPECT_EQ(out.error_message().find("blog"), std::string::npos)
        << out.error_message();
    // The other scoped token, the other way round.
    grpc::Status other = rpc.call(admin.get(), kBlog, "shop-eu");
    EXPECT_EQ(other.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_NE(other.error_message().find(TokenFingerprint("blog-token")),
              std::string::npos)
        << other.error_message();
    EXPECT_EQ(other.error_message().find("shop"), std::string::npos)
        << other.error_message();
    // No valid token: UNAUTHENTICATED before any scope.
    EXPECT_EQ(rpc.call(admin.get(), "Bearer nope", "shop").error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    // In scope: served. VerifyDomain answers UNAVAILABLE (no verifier in
    // this corsd) only after its scope check passed.
    const grpc::StatusCode served = std::string(rpc.name) == "VerifyDomain"
                                        ? grpc::StatusCode::UNAVAILABLE
                                        : grpc::StatusCode::OK;
    grpc::Status in = rpc.call(admin.get(), kShop, "shop-eu");
    EXPECT_EQ(in.error_code(), served) << in.error_message();
    grpc::Status global = rpc.call(admin.get(), kGlobal, "blog");
    EXPECT_EQ(global.error_code(), served) << global.error_message();
  }
}

TEST_F(AdminScopeTest, ManyTenantWritesNeedEveryTenantInScope) {
  ASSERT_NO_FATAL_FAILURE(StartCorsd());
  auto channel = AdminChannel();
  ASSERT_NO_FATAL_FAILURE(Populate(channel));
  auto admin = v1::Admin::NewStub(channel);
  v1::WriteEntriesRequest write;
  for (const char* tenant : {"shop", "shop-eu", "blog"}) {
    v1::EntryOp* op = write.add_ops();
    op->set_op(v1::EntryOp::OP_ADD);
    op->set_kind(v1::ENTRY_KIND_ORIGIN);
    op->set_tenant(tenant);
    op->set_value("https://mixed.example");
  }
  v1::WriteEntriesResponse written;
  grpc::Status s = admin->WriteEntries(Context(kShop).get(), write, &written);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(s.error_message().find("ops[2].tenant"), std::string::npos)
      << s.error_message();
  // Import: the second chunk names blog; nothing of the stream is applied.
  {
    v1::ImportResponse response;
    auto context = Context(kShop);
    auto writer = admin->Import(context.get(), &response);
    v1::ImportChunk first;
    v1::EntryOp* op = first.add_ops();
    op->set_op(v1::EntryOp::OP_ADD);
    op->set_kind(v1::ENTRY_KIND_ORIGIN);
    op->set_tenant("shop");
    op->set_value("https://import-1.example");
    writer->Write(first);
    v1::ImportChunk second;
    second.add_tenants()->set_id("blog");
    writer->Write(second);
    writer->WritesDone();
    s = writer->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_NE(s.error_message().find("chunk 2 tenants[0]"), std::string::npos)
        << s.error_message();
  }
  v1::LookupOriginRequest lookup;
  lookup.set_origin("https://mixed.example");
  v1::LookupOriginResponse found;
  ASSERT_TRUE(admin->LookupOrigin(Context(kGlobal).get(), lookup, &found).ok());
  EXPECT_EQ(found.tenants_size(), 0);
  lookup.set_origin("https://import-1.example");
  ASSERT_TRUE(admin->LookupOrigin(Context(kGlobal).get(), lookup, &found).ok());
  EXPECT_EQ(found.tenants_size(), 0);
}

TEST_F(AdminScopeTest, ListsAndLookupsAreFilteredStatsRefused) {
  ASSERT_NO_FATAL_FAILURE(StartCorsd());
  auto channel = AdminChannel();
  ASSERT_NO_FATAL_FAILURE(Populate(channel));
  auto admin = v1::Admin::NewStub(channel);
  const auto tenants_of = [&](const char* auth) {
    std::set<std::string> ids;
    v1::ListTenantsRequest r;
    v1::ListTenantsResponse out;
    grpc::Status s = admin->ListTenants(Context(auth).get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    for (const auto& t : out.tenants()) ids.insert(t.tenant().id());
    return ids;
  };
  EXPECT_EQ(tenants_of(kShop), (std::set<std::string>{"shop", "shop-eu"}));
  EXPECT_EQ(tenants_of(kBlog), (std::set<std::string>{"blog"}));
  EXPECT_EQ(tenants_of(kGlobal),
            (std::set<std::string>{"blog", "shop", "shop-eu"}));

  const auto owners = [&](const char* auth) {
    v1::LookupOriginRequest r;
    r.set_origin("https://shared.example");
    v1::LookupOriginResponse out;
    grpc::Status s = admin->LookupOrigin(Context(auth).get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return std::set<std::string>(out.tenants().begin(), out.tenants().end());
  };
  EXPECT_EQ(owners(kShop), (std::set<std::string>{"shop"}));
  EXPECT_EQ(owners(kBlog), (std::set<std::string>{"blog"}));
  EXPECT_EQ(owners(kGlobal), (std::set<std::string>{"blog", "shop"}));

  const auto domains_of = [&](const char* auth) {
    v1::ListDomainsRequest r;  // every tenant
    v1::ListDomainsResponse out;
    grpc::Status s = admin->ListDomains(Context(auth).get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::set<std::string> hosts;
    for (const auto& d : out.domains()) hosts.insert(d.host());
    return hosts;
  };
  EXPECT_EQ(domains_of(kShop), (std::set<std::string>{"www.shop.example"}));
  EXPECT_EQ(domains_of(kGlobal),
            (std::set<std::string>{"www.blog.example", "www.shop.example"}));

  // Export: only the scope's tenants, entries and domains.
  std::set<std::string> seen;
  int items = 0;
  {
    auto context = Context(kShop);
    auto reader = admin->Export(context.get(), v1::ExportRequest());
    v1::ExportChunk chunk;
    while (reader->Read(&chunk)) {
      for (const auto& t : chunk.tenants()) seen.insert(t.id());
      for (const auto& op : chunk.ops()) seen.insert(op.tenant());
      for (const auto& d : chunk.domains()) seen.insert(d.tenant());
      items += chunk.tenants_size() + chunk.ops_size() + chunk.domains_size();
    }
    grpc::Status s = reader->Finish();
    EXPECT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_EQ(seen, (std::set<std::string>{"shop", "shop-eu"}));
  // 2 tenants, 3 origins, 1 domain (and its operator-less entries: none).
  EXPECT_GE(items, 6);

  v1::StatsResponse stats;
  grpc::Status s =
      admin->Stats(Context(kShop).get(), v1::StatsRequest(), &stats);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(s.error_message().find("ci-shop"), std::string::npos);
  s = admin->Stats(Context(kGlobal).get(), v1::StatsRequest(), &stats);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(stats.tenants(), 3u);
}

TEST_F(AdminScopeTest, AuditLinesFieldByField) {
  ASSERT_NO_FATAL_FAILURE(StartCorsd());
  auto channel = AdminChannel();
  ASSERT_NO_FATAL_FAILURE(Populate(channel));
  auto admin = v1::Admin::NewStub(channel);
  const size_t before = AuditLines().size();
  // Populate: 3 PutTenant, 1 WriteEntries, 2 AddDomain.
  EXPECT_EQ(before, 6u);

  // A write in scope.
  v1::WriteEntriesRequest write;
  for (const char* tenant : {"shop-eu", "shop", "shop-eu"}) {
    v1::EntryOp* op = write.add_ops();
    op->set_op(v1::EntryOp::OP_ADD);
    op->set_kind(v1::ENTRY_KIND_ORIGIN);
    op->set_tenant(tenant);
    op->set_value(absl::StrCat("https://audit-", write.ops_size(), ".example"));
  }
  v1::WriteEntriesResponse written;
  ASSERT_TRUE(admin->WriteEntries(Context(kShop).get(), write, &written).ok());
  ASSERT_GT(written.revision(), 0u);
  // A write out of scope, one with no valid token, a dry run, a refused
  // batch.
  v1::DeleteTenantRequest del;
  del.set_id("blog");
  v1::DeleteTenantResponse deleted;
  EXPECT_EQ(
      admin->DeleteTenant(Context(kShop).get(), del, &deleted).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(admin->DeleteTenant(Context("Bearer wrong").get(), del, &deleted)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  v1::PutTenantRequest put;
  put.mutable_tenant()->set_id("blog");
  put.set_dry_run(true);
  v1::PutTenantResponse put_response;
  ASSERT_TRUE(admin->PutTenant(Context(kBlog).get(), put, &put_response).ok());
  v1::WriteEntriesRequest bad;
  v1::EntryOp* op = bad.add_ops();
  op->set_op(v1::EntryOp::OP_ADD);
  op->set_kind(v1::ENTRY_KIND_ORIGIN);
  op->set_tenant("blog");
  op->set_value("not an origin");
  EXPECT_EQ(
      admin->WriteEntries(Context(kGlobal).get(), bad, &written).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
  // Reads are not audited.
  v1::GetTenantRequest get;
  get.set_id("shop");
  v1::TenantInfo info;
  ASSERT_TRUE(admin->GetTenant(Context(kShop).get(), get, &info).ok());

  std::vector<google::protobuf::Struct> lines = AuditLines();
  ASSERT_EQ(lines.size(), before + 5);
  const auto field = [](const google::protobuf::Struct& line,
                        const std::string& key) {
    auto it = line.fields().find(key);
    return it == line.fields().end() ? google::protobuf::Value() : it->second;
  };
  const auto tenants = [&](const google::protobuf::Struct& line) {
    std::vector<std::string> out;
    const google::protobuf::Value list = field(line, "tenants");
    for (const auto& v : list.list_value().values()) {
      out.push_back(v.string_value());
    }
    return out;
  };
  for (const auto& line : lines) {
    EXPECT_EQ(line.fields().size(), 10u);
    const std::string time = field(line, "time").string_value();
    // 2026-12-07T21:04:05.123Z
    EXPECT_EQ(time.size(), 24u) << time;
    EXPECT_EQ(time[10], 'T');
    EXPECT_EQ(time[19], '.');
    EXPECT_EQ(time.back(), 'Z');
  }
  const auto& ok = lines[before];
  EXPECT_EQ(field(ok, "token_id").string_value(), "ci-shop");
  EXPECT_EQ(field(ok, "rpc").string_value(), "WriteEntries");
  EXPECT_EQ(tenants(ok), (std::vector<std::string>{"shop-eu", "shop"}));
  EXPECT_EQ(field(ok, "tenant_count").number_value(), 2);
  EXPECT_EQ(field(ok, "items").number_value(), 3);
  EXPECT_FALSE(field(ok, "dry_run").bool_value());
  EXPECT_EQ(field(ok, "revision").number_value(),
            static_cast<double>(written.revision()));
  EXPECT_EQ(field(ok, "outcome").string_value(), "OK");
  EXPECT_EQ(field(ok, "message").string_value(), "");

  const auto& denied = lines[before + 1];
  EXPECT_EQ(field(denied, "token_id").string_value(), "ci-shop");
  EXPECT_EQ(field(denied, "rpc").string_value(), "DeleteTenant");
  EXPECT_EQ(tenants(denied), (std::vector<std::string>{"blog"}));
  EXPECT_EQ(field(denied, "items").number_value(), 1);
  EXPECT_EQ(field(denied, "revision").kind_case(),
            google::protobuf::Value::kNullValue);
  EXPECT_EQ(field(denied, "outcome").string_value(), "PERMISSION_DENIED");
  EXPECT_NE(field(denied, "message").string_value().find("tenants shop"),
            std::string::npos);

  const auto& anonymous = lines[before + 2];
  EXPECT_EQ(field(anonymous, "token_id").kind_case(),
            google::protobuf::Value::kNullValue);
  EXPECT_EQ(field(anonymous, "outcome").string_value(), "UNAUTHENTICATED");

  const auto& dry = lines[before + 3];
  EXPECT_EQ(field(dry, "token_id").string_value(),
            TokenFingerprint("blog-token"));
  EXPECT_EQ(field(dry, "rpc").string_value(), "PutTenant");
  EXPECT_TRUE(field(dry, "dry_run").bool_value());
  EXPECT_EQ(field(dry, "revision").kind_case(),
            google::protobuf::Value::kNullValue);
  EXPECT_EQ(field(dry, "outcome").string_value(), "OK");

  const auto& refused = lines[before + 4];
  EXPECT_EQ(field(refused, "token_id").string_value(), "ops");
  EXPECT_EQ(field(refused, "outcome").string_value(), "INVALID_ARGUMENT");
  EXPECT_FALSE(field(refused, "message").string_value().empty());

  // No token ever reaches the file.
  const std::string text = ReadFile(audit_file_);
  for (const char* token :
       {"global-token", "shop-token", "blog-token", "wrong"}) {
    EXPECT_EQ(text.find(token), std::string::npos) << token;
  }
}

// --- SIGHUP rotation under load over TLS ---

// The serial number (decimal) of the first certificate in `pem`.
std::string SerialOf(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr) return "";
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(cert), nullptr);
  char* dec = BN_bn2dec(bn);
  std::string serial = dec;
  OPENSSL_free(dec);
  BN_free(bn);
  X509_free(cert);
  return serial;
}

// The serial of the certificate the server presented on `context`'s call.
std::string PeerSerial(const grpc::ClientContext& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr) return "";
  for (const grpc::string_ref& pem :
       auth->FindPropertyValues("x509_pem_cert")) {
    return SerialOf(std::string(pem.data(), pem.size()));
  }
  return "";
}

class RotationTest : public AdminScopeTest {
 protected:
  void SetUp() override {
    AdminScopeTest::SetUp();
    std::string out;
    ASSERT_EQ(RunShell("openssl version", &out), 0) << out;
    const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1";
    std::string script = absl::StrCat(
        "set -e; cd ", dir_, ";", "openssl req -x509 ", ec,
        " -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=rotation-ca;",
        "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost' > san.ext;");
    for (const auto& [name, serial] : std::vector<std::pair<std::string, int>>{
             {"one", 1001}, {"two", 2002}}) {
      absl::StrAppend(&script, "openssl req ", ec, " -nodes -keyout ", name,
                      ".key -out ", name, ".csr -subj /CN=localhost;",
                      "openssl x509 -req -in ", name,
                      ".csr -CA ca.pem -CAkey ca.key -set_serial ", serial,
                      " -out ", name, ".pem -days 2 -extfile san.ext;");
    }
    absl::StrAppend(&script, "cp one.pem server.pem; cp one.key server.key");
    out.clear();
    ASSERT_EQ(RunShell("sh -c '" + script + "'", &out), 0) << out;
  }

  std::shared_ptr<grpc::Channel> TlsChannel(const std::string& address) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = ReadFile(dir_ + "/ca.pem");
    // A fresh channel (own subchannel pool): a new TCP connection and TLS
    // handshake, never a connection another channel opened.
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return grpc::CreateCustomChannel(address, grpc::SslCredentials(options),
                                     args);
  }

  // Sends SIGHUP and waits for corsd's answer line; returns it.
  std::string Hangup() {
    const auto count = [&] {
      size_t n = 0;
      const std::string err = corsd_->stderr_output();
      for (size_t at = err.find("SIGHUP received"); at != std::string::npos;
           at = err.find("SIGHUP received", at + 1)) {
        ++n;
      }
      return n;
    };
    const size_t before = count();
    EXPECT_EQ(::kill(corsd_->pid(), SIGHUP), 0);
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (count() == before && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    const std::string err = corsd_->stderr_output();
    const size_t at = err.rfind("corsd: SIGHUP received");
    if (at == std::string::npos) return "";
    return err.substr(at, err.find('\n', at) - at);
  }

  // Decide on `channel`; the peer certificate's serial ("" on failure).
  static std::string DecideSerial(const std::shared_ptr<grpc::Channel>& ch,
                                  grpc::Status* status = nullptr) {
    v1::DecideRequest request;
    request.set_tenant("shop");
    request.mutable_request()->set_method("GET");
    request.mutable_request()->set_scheme("https");
    request.mutable_request()->set_host("api.shop.example");
    request.mutable_request()->set_path("/");
    request.mutable_request()->set_origin("https://shop.example");
    v1::DecideResponse response;
    auto context = Context("");
    grpc::Status s =
        v1::Decider::NewStub(ch)->Decide(context.get(), request, &response);
    if (status != nullptr) *status = s;
    return s.ok() ? PeerSerial(*context) : "";
  }
};

TEST_F(RotationTest, SighupRotatesTokensAndCertificateUnderLoad) {
  WriteFileAtomically(token_file_,
                      "global-token id=ops\n"
                      "old-token id=old tenants=shop\n");
  ASSERT_NO_FATAL_FAILURE(StartCorsd(
      {"--tls-cert", dir_ + "/server.pem", "--tls-key", dir_ + "/server.key"}));
  auto admin_channel = TlsChannel(corsd_->admin_address());
  ASSERT_NO_FATAL_FAILURE(Populate(admin_channel));
  auto admin = v1::Admin::NewStub(admin_channel);
  // Channels established before the reload; they must keep working.
  auto decide_channel = TlsChannel(corsd_->decision_address());
  ASSERT_EQ(DecideSerial(decide_channel), "1001");
  ASSERT_EQ(DecideSerial(TlsChannel(corsd_->decision_address())), "1001");

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> calls{0};
  std::atomic<uint64_t> failed{0};
  std::atomic<uint64_t> handshakes{0};
  std::mutex failures_mu;
  std::vector<std::string> failures;
  const auto record = [&](const grpc::Status& s, const char* what) {
    calls.fetch_add(1, std::memory_order_relaxed);
    if (s.ok()) return;
    failed.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(failures_mu);
    if (failures.size() < 10) {
      failures.push_back(absl::StrCat(what, ": ", s.error_message()));
    }
  };
  std::vector<std::thread> load;
  // Decide on the established channel.
  for (int i = 0; i < 2; ++i) {
    load.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        grpc::Status s;
        DecideSerial(decide_channel, &s);
        record(s, "Decide (established)");
      }
    });
  }
  // Decide on a new connection each time: a handshake per call.
  load.emplace_back([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      grpc::Status s;
      DecideSerial(TlsChannel(corsd_->decision_address()), &s);
      record(s, "Decide (new handshake)");
      handshakes.fetch_add(1, std::memory_order_relaxed);
    }
  });
  // Admin writes and reads with the token both files hold.
  load.emplace_back([&] {
    auto stub = v1::Admin::NewStub(admin_channel);
    for (int n = 0; !stop.load(std::memory_order_relaxed); ++n) {
      v1::WriteEntriesRequest write;
      v1::EntryOp* op = write.add_ops();
      op->set_op(n % 2 == 0 ? v1::EntryOp::OP_ADD : v1::EntryOp::OP_REMOVE);
      op->set_kind(v1::ENTRY_KIND_ORIGIN);
      op->set_tenant("shop");
      op->set_value("https://load.example");
      v1::WriteEntriesResponse written;
      record(stub->WriteEntries(Context(kGlobal).get(), write, &written),
             "WriteEntries");
      v1::GetTenantRequest get;
      get.set_id("shop");
      v1::TenantInfo info;
      record(stub->GetTenant(Context(kGlobal).get(), get, &info), "GetTenant");
    }
  });

  absl::SleepFor(absl::Milliseconds(500));
  // Rotate: a new token replaces the old one; certificate two replaces one.
  WriteFileAtomically(token_file_,
                      "global-token id=ops\n"
                      "new-token id=new tenants=shop\n");
  WriteFileAtomically(dir_ + "/server.pem", ReadFile(dir_ + "/two.pem"));
  WriteFileAtomically(dir_ + "/server.key", ReadFile(dir_ + "/two.key"));
  EXPECT_EQ(Hangup(), "corsd: SIGHUP received, reloaded");
  absl::SleepFor(absl::Milliseconds(500));
  // A broken token file and a key that does not match: refused, old kept.
  WriteFileAtomically(token_file_,
                      "global-token id=ops\nbroken-token tenants=\n");
  WriteFileAtomically(dir_ + "/server.key", ReadFile(dir_ + "/one.key"));
  const std::string failed_reload = Hangup();
  EXPECT_NE(failed_reload.find("reload failed"), std::string::npos)
      << failed_reload;
  EXPECT_NE(failed_reload.find(token_file_ + "\": admin token file line 2"),
            std::string::npos)
      << failed_reload;
  EXPECT_NE(failed_reload.find("does not match the certificate"),
            std::string::npos)
      << failed_reload;
  absl::SleepFor(absl::Milliseconds(500));
  stop.store(true);
  for (std::thread& t : load) t.join();

  EXPECT_EQ(failed.load(), 0u) << absl::StrJoin(failures, "\n");
  EXPECT_GT(calls.load(), 50u);
  EXPECT_GT(handshakes.load(), 3u);
  std::fprintf(stderr,
               "rotation under load: %llu calls (%llu new handshakes), %llu "
               "failed\n",
               static_cast<unsigned long long>(calls.load()),
               static_cast<unsigned long long>(handshakes.load()),
               static_cast<unsigned long long>(failed.load()));

  // New handshakes see certificate two (the failed reload kept it); the
  // connection made before the reload still works, on certificate one.
  EXPECT_EQ(DecideSerial(TlsChannel(corsd_->decision_address())), "2002");
  {
    v1::GetTenantRequest get;
    get.set_id("shop");
    v1::TenantInfo info;
    auto context = Context(kGlobal);
    ASSERT_TRUE(v1::Admin::NewStub(TlsChannel(corsd_->admin_address()))
                    ->GetTenant(context.get(), get, &info)
                    .ok());
    EXPECT_EQ(PeerSerial(*context), "2002");
  }
  EXPECT_EQ(DecideSerial(decide_channel), "1001");

  // Tokens: old refused, new admitted within its scope (the failed reload
  // kept the rotated file's tokens).
  v1::GetTenantRequest get;
  get.set_id("shop");
  v1::TenantInfo info;
  EXPECT_EQ(admin->GetTenant(Context("Bearer old-token").get(), get, &info)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  grpc::Status s =
      admin->GetTenant(Context("Bearer new-token").get(), get, &info);
  EXPECT_TRUE(s.ok()) << s.error_message();
  get.set_id("blog");
  EXPECT_EQ(admin->GetTenant(Context("Bearer new-token").get(), get, &info)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(admin->GetTenant(Context("Bearer broken-token").get(), get, &info)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AdminScopeTest, SighupReopensTheAuditLog) {
  ASSERT_NO_FATAL_FAILURE(StartCorsd({}, /*http=*/true));
  auto channel = AdminChannel();
  ASSERT_NO_FATAL_FAILURE(Populate(channel));
  ASSERT_EQ(std::rename(audit_file_.c_str(), (audit_file_ + ".1").c_str()), 0);
  ASSERT_EQ(::kill(corsd_->pid(), SIGHUP), 0);
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (corsd_->stderr_output().find("SIGHUP received") == std::string::npos &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_NE(corsd_->stderr_output().find("SIGHUP received, reloaded"),
            std::string::npos)
      << corsd_->stderr_output();
  v1::DeleteTenantRequest del;
  del.set_id("shop-eu");
  v1::DeleteTenantResponse deleted;
  ASSERT_TRUE(v1::Admin::NewStub(channel)
                  ->DeleteTenant(Context(kShop).get(), del, &deleted)
                  .ok());
  std::vector<google::protobuf::Struct> lines = AuditLines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].fields().at("rpc").string_value(), "DeleteTenant");
  const std::vector<std::string> old_lines =
      absl::StrSplit(ReadFile(audit_file_ + ".1"), '\n', absl::SkipEmpty());
  EXPECT_EQ(old_lines.size(), 6u);  // Populate's writes
  // /metrics counts every line, in both files, and no write error.
  const std::string metrics = HttpGet(corsd_->http_address(), "/metrics");
  EXPECT_NE(metrics.find("\ncorsd_audit_log_lines_total 7\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("\ncorsd_audit_log_write_errors_total 0\n"),
            std::string::npos)
      << metrics;
}

}  // namespace
}  // namespace corsd::rpc
