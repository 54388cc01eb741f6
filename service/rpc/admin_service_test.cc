// AdminService's tenant scopes, table-driven: every method of corsd.v1.Admin
// (the table must name each one the service descriptor lists, so a method
// added without a row fails here) called in scope and out of scope, in
// process over a real core (app::App on free ports, embedded store).
//
// Tokens: "global-token" (every tenant), "shop-token" (id ci-shop, tenants
// shop and shop-eu). Tenants: shop, shop-eu, blog; https://shared.example in
// shop and blog; a custom domain www.<tenant>.example in shop and blog.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "corsd/v1/admin.grpc.pb.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "service/app/app.h"

namespace corsd::rpc {
namespace {

namespace v1 = ::corsd::v1;

constexpr char kGlobal[] = "Bearer global-token";
constexpr char kShop[] = "Bearer shop-token";

std::unique_ptr<grpc::ClientContext> Context(const std::string& auth) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(10));
  context->AddMetadata("authorization", auth);
  return context;
}

// How a method treats a scoped token.
enum class Scope {
  kTenant,    // names one tenant: out of scope is PERMISSION_DENIED
  kFiltered,  // lists: answered, only the scope's tenants in the answer
  kGlobal,    // covers every tenant: PERMISSION_DENIED for a scoped token
};

struct Row {
  const char* method;
  Scope scope;
  // Calls the method for `tenant` (kTenant) or for everything (the others);
  // adds the tenants the answer names to *seen.
  std::function<grpc::Status(v1::Admin::Stub*, const std::string& auth,
                             const std::string& tenant,
                             std::set<std::string>* seen)>
      call;
  // What an allowed call answers (VerifyDomain: no verifier runs here).
  grpc::StatusCode served = grpc::StatusCode::OK;
};

std::vector<Row> Rows() {
  using Stub = v1::Admin::Stub;
  using Seen = std::set<std::string>;
  return {
      {"PutTenant", Scope::kTenant,
       [](Stub* a, const std::string& auth, const std::string& t, Seen*) {
         v1::PutTenantRequest r;
         r.mutable_tenant()->set_id(t);
         r.set_dry_run(true);
         v1::PutTenantResponse out;
         return a->PutTenant(Context(auth).get(), r, &out);
       }},
      {"GetTenant", Scope::kTenant,
       [](Stub* a, const std::string& auth, const std::string& t, Seen*) {
         v1::GetTenantRequest r;
         r.set_id(t);
         v1::TenantInfo out;
         return a->GetTenant(Context(auth).get(), r, &out);
       }},
      {"ListTenants", Scope::kFiltered,
       [](Stub* a, const std::string& auth, const std::string&, Seen* seen) {
         v1::ListTenantsResponse out;
         grpc::Status s = a->ListTenants(Context(auth).get(),
                                         v1::ListTenantsRequest(), &out);
         for (const auto& t : out.tenants()) seen->insert(t.tenant().id());
         return s;
       }},
      {"WriteEntries", Scope::kTenant,
       [](Stub* a, const std::string& auth, const std::string& t, Seen*) {
         v1::WriteEntriesRequest r;
         v1::EntryOp* op = r.add_ops();
         op->set_op(v1::EntryOp::OP_ADD);
         op->set_kind(v1::ENTRY_KIND_ORIGIN);
         op->set_tenant(t);
         op->set_value("https://written.example");
         v1::WriteEntriesResponse out;
         return a->WriteEntries(Context(auth).get(), r, &out);
       }},
      {"ListEntries", Scope::kTenant,
       [](Stub* a, const std::string& auth, const std::string& t, Seen*) {
         v1::ListEntriesRequest r;
         r.set_tenant(t);
         r.set_kind(v1::ENTRY_KIND_ORIGIN);
         v1::ListEntriesResponse out;
         return a->ListEntries(Context(auth).get(), r, &out);
       }},
      {"Import", Scope::kTenant,
       [](Stub* a, const std::string& auth, const std::string& t, Seen*) {
         v1::ImportResponse out;
         auto context = Context(auth);
         auto writer = a->Import(context.get(), &out);
         v1::ImportChunk chunk;
         chunk.add_tenants()->set_id(t);
         chunk.set_dry_run(true);
         writer->Write(chunk);
         writer->WritesDone();
         return writer->Finish();
       }},
      {"Export", Scope::kFiltered,
       [](Stub* a, const std::string& auth, const std::string&, Seen* seen) {
         auto context = Context(auth);
         auto reader = a->Export(context.get(), v1::ExportRequest());
         v1::ExportChunk chunk;
         while (reader->Read(&chunk)) {
           for (const auto& t : chunk.tenants()) seen->insert(t.id());
           for (const auto& op : chunk.ops()) seen->insert(op.tenant());
           for (const auto& d : chunk.domains()) seen->insert(d.tenant());
         }
         return reader->Finish();
       }},
      {"Stats", Scope::kGlobal,
       [](Stub* a, const std::string& auth, const std::string&, Seen*) {
         v1::StatsResponse out;
         return a->Stats(Context(auth).get(), v1::StatsRequest(), &out);
       }},
      {"LookupOrigin", Scope::kFiltered,
       [](Stub* a, const std::string& auth, const std::string&, Seen* seen) {
         v1::LookupOriginRequest r;
         r.set_origin("https://shared.example");
         v1::LookupOriginResponse out;
         grpc::Status s = a->LookupOrigin(Context(auth).get(), r, &out);
         seen->insert(out.tenants().begin(), out.tenants().end());
         return s;
       }},
      {"AddDomain", Scope::kTenant,
       [](Stub* a, const std::string& auth, const std::string& t, Seen*) {
         v1::AddDomainRequest r;
         r.set_tenant(t);
         r.set_host("api." + t + ".example");
         r.set_dry_run(true);
         v1::DomainInfo out;
         return a->AddDomain(Context(auth).get(), r, &out);
       }},
      {"VerifyDomain", Scope::kTenant,
       [](Stub* a, const std::string& auth, const std::string& t, Seen*) {
         v1::DomainRequest r;
         r.set_tenant(t);
         r.set_host("www." + t + ".example");
         v1::DomainInfo out;
         return a->VerifyDomain(Context(auth).get(), r, &out);
       },
       grpc::StatusCode::UNAVAILABLE},
      {"GetDomain", Scope::kTenant,
       [](Stub* a, const std::string& auth, const std::string& t, Seen*) {
         v1::DomainRequest r;
         r.set_tenant(t);
         r.set_host("www." + t + ".example");
         v1::DomainInfo out;
         return a->GetDomain(Context(auth).get(), r, &out);
       }},
      {"ListDomains", Scope::kTenant,
       [](Stub* a, const std::string& auth, const std::string& t, Seen*) {
         v1::ListDomainsRequest r;
         r.set_tenant(t);
         v1::ListDomainsResponse out;
         return a->ListDomains(Context(auth).get(), r, &out);
       }},
      {"ListDomains(every tenant)", Scope::kFiltered,
       [](Stub* a, const std::string& auth, const std::string&, Seen* seen) {
         v1::ListDomainsResponse out;
         grpc::Status s = a->ListDomains(Context(auth).get(),
                                         v1::ListDomainsRequest(), &out);
         for (const auto& d : out.domains()) seen->insert(d.tenant());
         return s;
       }},
      {"RemoveDomain", Scope::kTenant,
       [](Stub* a, const std::string& auth, const std::string& t, Seen*) {
         v1::DomainRequest r;
         r.set_tenant(t);
         r.set_host("nothing." + t + ".example");
         v1::RemoveDomainResponse out;
         grpc::Status s = a->RemoveDomain(Context(auth).get(), r, &out);
         // No such domain: served (NOT_FOUND) once the scope check passed.
         return s.error_code() == grpc::StatusCode::NOT_FOUND ? grpc::Status::OK
                                                              : s;
       }},
      {"WhatIf", Scope::kTenant,
       [](Stub* a, const std::string& auth, const std::string& t, Seen*) {
         v1::WhatIfRequest r;
         r.set_tenant(t);
         r.add_add_origins("https://proposed.example");
         v1::WhatIfResponse out;
         return a->WhatIf(Context(auth).get(), r, &out);
       }},
      {"TopRefused", Scope::kTenant,
       [](Stub* a, const std::string& auth, const std::string& t, Seen*) {
         v1::TopRefusedRequest r;
         r.set_tenant(t);
         v1::TopRefusedResponse out;
         return a->TopRefused(Context(auth).get(), r, &out);
       }},
      {"TopRefused(unknown_tenant)", Scope::kGlobal,
       [](Stub* a, const std::string& auth, const std::string&, Seen*) {
         v1::TopRefusedRequest r;
         r.set_unknown_tenant(true);
         v1::TopRefusedResponse out;
         return a->TopRefused(Context(auth).get(), r, &out);
       }},
      // Last: the calls allowed delete shop and blog.
      {"DeleteTenant", Scope::kTenant,
       [](Stub* a, const std::string& auth, const std::string& t, Seen*) {
         v1::DeleteTenantRequest r;
         r.set_id(t);
         v1::DeleteTenantResponse out;
         return a->DeleteTenant(Context(auth).get(), r, &out);
       }},
  };
}

class AdminServiceScopeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/admin_service_test_" +
           std::to_string(::getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    app::AppConfig config;
    config.rpc.listen = "127.0.0.1:0";
    config.rpc.admin_listen = "127.0.0.1:0";
    config.core.data_dir = dir_ + "/data";
    config.core.verifier.concurrency = 0;
    config.rpc.admin_token_file = dir_ + "/tokens";
    std::ofstream(config.rpc.admin_token_file)
        << "global-token id=ops\nshop-token id=ci-shop tenants=shop,shop-eu\n";
    absl::StatusOr<std::unique_ptr<app::App>> started = app::App::Start(config);
    ASSERT_TRUE(started.ok()) << started.status();
    app_ = *std::move(started);
    stub_ = v1::Admin::NewStub(grpc::CreateChannel(
        app_->admin_address(), grpc::InsecureChannelCredentials()));
    for (const char* id : {"shop", "shop-eu", "blog"}) {
      v1::PutTenantRequest put;
      put.mutable_tenant()->set_id(id);
      v1::PutTenantResponse out;
      ASSERT_TRUE(stub_->PutTenant(Context(kGlobal).get(), put, &out).ok());
    }
    v1::WriteEntriesRequest write;
    for (const char* tenant : {"shop", "blog"}) {
      v1::EntryOp* op = write.add_ops();
      op->set_op(v1::EntryOp::OP_ADD);
      op->set_kind(v1::ENTRY_KIND_ORIGIN);
      op->set_tenant(tenant);
      op->set_value("https://shared.example");
    }
    v1::WriteEntriesResponse written;
    ASSERT_TRUE(
        stub_->WriteEntries(Context(kGlobal).get(), write, &written).ok());
    for (const char* tenant : {"shop", "blog"}) {
      v1::AddDomainRequest add;
      add.set_tenant(tenant);
      add.set_host(std::string("www.") + tenant + ".example");
      v1::DomainInfo info;
      grpc::Status s = stub_->AddDomain(Context(kGlobal).get(), add, &info);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
  }

  void TearDown() override {
    stub_.reset();
    app_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string dir_;
  std::unique_ptr<app::App> app_;
  std::unique_ptr<v1::Admin::Stub> stub_;
};

TEST_F(AdminServiceScopeTest, TableCoversEveryAdminMethod) {
  std::set<std::string> covered;
  for (const Row& row : Rows()) {
    std::string name = row.method;
    covered.insert(name.substr(0, name.find('(')));
  }
  const google::protobuf::ServiceDescriptor* admin =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          v1::Admin::service_full_name());
  ASSERT_NE(admin, nullptr);
  for (int i = 0; i < admin->method_count(); ++i) {
    EXPECT_EQ(covered.count(admin->method(i)->name()), 1u)
        << admin->method(i)->name()
        << " has no row: add one saying how it treats a tenant scope";
  }
}

TEST_F(AdminServiceScopeTest, EachMethodInAndOutOfScope) {
  for (const Row& row : Rows()) {
    SCOPED_TRACE(row.method);
    std::set<std::string> seen;
    switch (row.scope) {
      case Scope::kTenant: {
        grpc::Status out = row.call(stub_.get(), kShop, "blog", &seen);
        EXPECT_EQ(out.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << out.error_message();
        EXPECT_NE(out.error_message().find(
                      "admin token \"ci-shop\" is scoped to tenants shop, "
                      "shop-eu"),
                  std::string::npos)
            << out.error_message();
        EXPECT_EQ(out.error_message().find("blog"), std::string::npos)
            << out.error_message();
        grpc::Status in = row.call(stub_.get(), kShop, "shop", &seen);
        EXPECT_EQ(in.error_code(), row.served) << in.error_message();
        grpc::Status global = row.call(stub_.get(), kGlobal, "blog", &seen);
        EXPECT_EQ(global.error_code(), row.served) << global.error_message();
        break;
      }
      case Scope::kFiltered: {
        grpc::Status scoped = row.call(stub_.get(), kShop, "", &seen);
        ASSERT_TRUE(scoped.ok()) << scoped.error_message();
        EXPECT_FALSE(seen.empty());
        EXPECT_EQ(seen.count("blog"), 0u);
        for (const std::string& t : seen) {
          EXPECT_TRUE(t == "shop" || t == "shop-eu") << t;
        }
        seen.clear();
        ASSERT_TRUE(row.call(stub_.get(), kGlobal, "", &seen).ok());
        EXPECT_EQ(seen.count("blog"), 1u);
        EXPECT_EQ(seen.count("shop"), 1u);
        break;
      }
      case Scope::kGlobal: {
        grpc::Status scoped = row.call(stub_.get(), kShop, "", &seen);
        EXPECT_EQ(scoped.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << scoped.error_message();
        EXPECT_NE(scoped.error_message().find("ci-shop"), std::string::npos);
        grpc::Status global = row.call(stub_.get(), kGlobal, "", &seen);
        EXPECT_TRUE(global.ok()) << global.error_message();
        break;
      }
    }
    // Without a valid token every method is UNAUTHENTICATED.
    EXPECT_EQ(
        row.call(stub_.get(), "Bearer shop-token2", "shop", &seen).error_code(),
        grpc::StatusCode::UNAUTHENTICATED);
  }
}

}  // namespace
}  // namespace corsd::rpc
