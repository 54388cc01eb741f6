// The what-if replay over a real Catalog (SQLite in a temporary directory):
// known traffic goes through the door path with the ShapeRecorder observing,
// then each proposed change must report exactly the shapes whose outcome
// flips, validate like a write (nothing applied, errors naming the field),
// and leave the live decisions and the store unchanged.
#include "service/whatif/replay.h"

#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "service/decision/testing/fixture.h"
#include "service/door/run_path.h"
#include "service/store/testing/catalog_fixture.h"

namespace corsd::whatif {
namespace {

using corsd::v1::EntryOp;
using decision::testing::OwnedRequest;
using store::testing::AddOrigin;
using store::testing::Node;
using store::testing::Op;
using store::testing::TempDir;

// The tenant "shop": origins a and b, wildcard *.shop.example, credentials
// allowed, PUT allowed; its traffic: GET from a (x3), credentialed GET
// from b (x2), GET from c (refused, x1), GET from x.shop.example (x4), a
// preflight for PUT from a (x1), and a shape for tenant "other".
class ReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = std::make_unique<Node>(dir_.path());
    ASSERT_NE(node_->catalog, nullptr);
    v1::PutTenantRequest put;
    put.mutable_tenant()->set_id("shop");
    *put.mutable_tenant()->mutable_policy() = ShopPolicy();
    ASSERT_TRUE(node_->catalog->PutTenant(put).ok());
    put.mutable_tenant()->set_id("other");
    ASSERT_TRUE(node_->catalog->PutTenant(put).ok());
    v1::WriteEntriesRequest w;
    *w.add_ops() = AddOrigin("shop", "https://a.example.com");
    *w.add_ops() = AddOrigin("shop", "https://b.example.com");
    *w.add_ops() = Op(EntryOp::OP_ADD, v1::ENTRY_KIND_WILDCARD, "shop",
                      "https://*.shop.example");
    *w.add_ops() = AddOrigin("other", "https://c.example.com");
    ASSERT_TRUE(node_->catalog->WriteEntries(w).ok());
    engine_ =
        std::make_unique<decision::Engine>(&node_->table, &node_->registry);
    auto rec = ShapeRecorder::Create({});
    ASSERT_TRUE(rec.ok()) << rec.status();
    recorder_ = *std::move(rec);
    Send("shop", Get("https://a.example.com"), 3);
    OwnedRequest b = Get("https://b.example.com");
    b.credentials = true;
    Send("shop", b, 2);
    Send("shop", Get("https://c.example.com"), 1);
    Send("shop", Get("https://x.shop.example"), 4);
    Send("shop", Preflight("https://a.example.com", "PUT"), 1);
    Send("other", Get("https://c.example.com"), 1);
    whatif_ =
        std::make_unique<WhatIf>(WhatIfDeps{.catalog = node_->catalog.get(),
                                            .engine = engine_.get(),
                                            .epochs = &node_->epochs,
                                            .recorder = recorder_.get()});
  }

  static v1::Policy ShopPolicy() {
    v1::Policy p;
    p.add_allowed_methods("PUT");
    p.set_allow_credentials(true);
    return p;
  }
  static OwnedRequest Get(const std::string& origin) {
    OwnedRequest r;
    r.host = "api.shop.test";
    r.path = "/v1/cart";
    r.origin = origin;
    return r;
  }
  static OwnedRequest Preflight(const std::string& origin,
                                const std::string& method) {
    OwnedRequest r = Get(origin);
    r.method = "OPTIONS";
    r.acrm = method;
    return r;
  }

  // Decides `req` for `tenant` through the door path, `times` times.
  void Send(const char* tenant, const OwnedRequest& req, int times) {
    const door::DecisionDeps deps{.engine = engine_.get(),
                                  .epochs = &node_->epochs,
                                  .observer = recorder_.get(),
                                  .door = "decide"};
    const decision::Request r = req.View();
    for (int i = 0; i < times; ++i) {
      table::EpochManager::ReadGuard guard(&node_->epochs);
      decision::Decision d;
      door::RunDecide(deps, door::TenantSources{.named = tenant}, r, &d);
    }
  }

  // (origin, method, before reason, after reason, count) of each flip.
  using Flip =
      std::tuple<std::string, std::string, v1::Reason, v1::Reason, uint64_t>;
  static std::set<Flip> Flips(const v1::WhatIfResponse& r) {
    std::set<Flip> out;
    for (const v1::WhatIfChange& c : r.changes()) {
      if (!c.flips()) continue;
      out.emplace(c.shape().shape().origin(), c.shape().shape().method(),
                  c.before().reason(), c.after().reason(), c.shape().count());
    }
    return out;
  }

  v1::WhatIfRequest Request() const {
    v1::WhatIfRequest r;
    r.set_tenant("shop");
    return r;
  }

  TempDir dir_;
  std::unique_ptr<Node> node_;
  std::unique_ptr<decision::Engine> engine_;
  std::unique_ptr<ShapeRecorder> recorder_;
  std::unique_ptr<WhatIf> whatif_;
};

struct FlipCase {
  const char* name;
  // Fills the proposed change.
  void (*change)(v1::WhatIfRequest*);
  std::set<
      std::tuple<std::string, std::string, v1::Reason, v1::Reason, uint64_t>>
      flips;
};

TEST_F(ReplayTest, TableOfChangesAndTheirFlips) {
  const std::vector<FlipCase> cases = {
      {"no change: nothing flips", [](v1::WhatIfRequest*) {}, {}},
      {"remove an allowed origin: its GET and preflight flip to refused",
       [](v1::WhatIfRequest* r) {
         r->add_remove_origins("https://a.example.com");
       },
       {{"https://a.example.com", "GET", v1::REASON_R2_ORIGIN_ALLOWED,
         v1::REASON_R2_ORIGIN_NOT_ALLOWED, 3},
        {"https://a.example.com", "OPTIONS", v1::REASON_R6_PREFLIGHT_ALLOWED,
         v1::REASON_R2_ORIGIN_NOT_ALLOWED, 1}}},
      {"add an origin (any case: canonicalized): the refused shape flips",
       [](v1::WhatIfRequest* r) {
         r->add_add_origins("HTTPS://C.example.com:443");
       },
       {{"https://c.example.com", "GET", v1::REASON_R2_ORIGIN_NOT_ALLOWED,
         v1::REASON_R2_ORIGIN_ALLOWED, 1}}},
      {"remove the wildcard",
       [](v1::WhatIfRequest* r) {
         r->add_remove_wildcards("https://*.shop.example");
       },
       {{"https://x.shop.example", "GET", v1::REASON_R2_WILDCARD_ALLOWED,
         v1::REASON_R2_ORIGIN_NOT_ALLOWED, 4}}},
      {"a policy refusing credentials: the credentialed shape flips",
       [](v1::WhatIfRequest* r) {
         v1::Policy p = ShopPolicy();
         p.set_allow_credentials(false);
         *r->mutable_policy() = p;
       },
       {{"https://b.example.com", "GET", v1::REASON_R2_ORIGIN_ALLOWED,
         v1::REASON_R2_ORIGIN_ALLOWED, 2}}},
      {"a policy without PUT: the preflight flips",
       [](v1::WhatIfRequest* r) {
         v1::Policy p = ShopPolicy();
         p.clear_allowed_methods();
         *r->mutable_policy() = p;
       },
       {{"https://a.example.com", "OPTIONS", v1::REASON_R6_PREFLIGHT_ALLOWED,
         v1::REASON_R7_METHOD_NOT_ALLOWED, 1}}},
      {"the same policy again: nothing flips",
       [](v1::WhatIfRequest* r) { *r->mutable_policy() = ShopPolicy(); },
       {}},
  };
  for (const FlipCase& c : cases) {
    SCOPED_TRACE(c.name);
    v1::WhatIfRequest req = Request();
    c.change(&req);
    absl::StatusOr<v1::WhatIfResponse> r = whatif_->Run(req);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(Flips(*r), c.flips);
    EXPECT_EQ(r->flips(), c.flips.size());
    EXPECT_EQ(r->shapes(), 5u);
    EXPECT_EQ(r->decisions(), 11u);
    EXPECT_TRUE(r->recording());
    for (const v1::WhatIfChange& ch : r->changes()) {
      EXPECT_EQ(ch.source(), "recorded");
      EXPECT_GT(ch.shape().last_seen_unix_ms(), 0);
    }
  }
}

TEST_F(ReplayTest, FlipCarriesRuleStatusAndCredentials) {
  v1::WhatIfRequest req = Request();
  v1::Policy p = ShopPolicy();
  p.set_allow_credentials(false);
  *req.mutable_policy() = p;
  req.add_remove_origins("https://a.example.com");
  absl::StatusOr<v1::WhatIfResponse> r = whatif_->Run(req);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->flips(), 3u);
  // Flips come first, largest count first.
  const v1::WhatIfChange& top = r->changes(0);
  EXPECT_EQ(top.shape().shape().origin(), "https://a.example.com");
  EXPECT_EQ(top.shape().count(), 3u);
  EXPECT_TRUE(top.before().allowed());
  EXPECT_FALSE(top.after().allowed());
  EXPECT_EQ(top.before().rule(), "R2");
  EXPECT_EQ(top.before().action(), v1::ACTION_CONTINUE);
  EXPECT_TRUE(top.before().credentials());
  EXPECT_FALSE(top.after().credentials());
  const v1::WhatIfChange& pre = r->changes(2);
  EXPECT_EQ(pre.shape().shape().method(), "OPTIONS");
  EXPECT_EQ(pre.after().status(), 403u);
  EXPECT_EQ(pre.after().action(), v1::ACTION_ANSWER);
}

TEST_F(ReplayTest, ShapesGivenInTheRequestAreMergedAndReplayed) {
  v1::WhatIfRequest req = Request();
  req.add_remove_origins("https://a.example.com");
  // The recorded GET from a again (merged: counts add up) and one corsd
  // never saw (a decision-log line).
  v1::ObservedShape* same = req.add_shapes();
  same->mutable_shape()->set_door("decide");
  same->mutable_shape()->set_method("GET");
  same->mutable_shape()->set_origin("https://a.example.com");
  same->mutable_shape()->set_has_origin(true);
  same->mutable_shape()->set_host("api.shop.test");
  same->mutable_shape()->set_path("/v1/cart?q=1");
  same->set_count(10);
  v1::ObservedShape* log = req.add_shapes();
  log->mutable_shape()->set_door("http");
  log->mutable_shape()->set_method("DELETE");
  log->mutable_shape()->set_origin("https://a.example.com");
  log->mutable_shape()->set_has_origin(true);
  log->set_count(2);
  absl::StatusOr<v1::WhatIfResponse> r = whatif_->Run(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->shapes(), 6u);
  EXPECT_EQ(r->decisions(), 23u);
  std::set<std::tuple<std::string, uint64_t, std::string>> got;
  for (const v1::WhatIfChange& c : r->changes()) {
    if (c.flips()) {
      got.emplace(c.shape().shape().method(), c.shape().count(), c.source());
    }
  }
  EXPECT_EQ(got, (std::set<std::tuple<std::string, uint64_t, std::string>>{
                     {"GET", 13, "both"},
                     {"OPTIONS", 1, "recorded"},
                     {"DELETE", 2, "request"}}));
}

TEST_F(ReplayTest, NothingIsApplied) {
  const std::string before = store::testing::Dump(*node_->catalog);
  v1::WhatIfRequest req = Request();
  req.add_remove_origins("https://a.example.com");
  req.add_add_origins("https://c.example.com");
  v1::Policy p;
  p.set_public_origin(true);
  *req.mutable_policy() = p;
  absl::StatusOr<v1::WhatIfResponse> r = whatif_->Run(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GT(r->flips(), 0u);
  EXPECT_EQ(store::testing::Dump(*node_->catalog), before);
  // The live engine decides as before; a second run sees the same flips.
  absl::StatusOr<v1::WhatIfResponse> again = whatif_->Run(req);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(Flips(*again), Flips(*r));
  table::EpochManager::ReadGuard guard(&node_->epochs);
  decision::Decision d;
  engine_->Decide("shop", Get("https://a.example.com").View(), &d);
  EXPECT_EQ(d.reason, decision::Reason::kR2OriginAllowed);
  engine_->Decide("shop", Get("https://c.example.com").View(), &d);
  EXPECT_EQ(d.reason, decision::Reason::kR2OriginNotAllowed);
}

TEST_F(ReplayTest, InvalidChangeIsRefusedAsAWriteWouldBe) {
  v1::WhatIfRequest req = Request();
  req.add_add_origins("https://ok.example.com");
  req.add_add_origins("https://bad example.com");
  absl::StatusOr<v1::WhatIfResponse> r = whatif_->Run(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("add_origins[1] field value"),
            absl::string_view::npos)
      << r.status();
  const v1::BatchErrors errors = store::GetBatchErrors(r.status());
  ASSERT_EQ(errors.errors_size(), 1);
  EXPECT_EQ(errors.errors(0).index(), 1u);
  EXPECT_EQ(errors.errors(0).field(), "value");
  EXPECT_EQ(errors.errors(0).value(), "https://bad example.com");

  // A wildcard over a public suffix, and a bad policy field.
  req = Request();
  req.add_add_wildcards("https://*.com");
  r = whatif_->Run(req);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("add_wildcards[0]"),
            absl::string_view::npos)
      << r.status();
  req = Request();
  req.mutable_policy()->set_max_age_seconds(100000);
  r = whatif_->Run(req);
  ASSERT_FALSE(r.ok());
  // The write path's own wording: field "policy", the message naming the
  // policy field and its bound.
  EXPECT_EQ(store::GetBatchErrors(r.status()).errors(0).field(), "policy")
      << r.status();
  EXPECT_NE(r.status().message().find("max_age_seconds: 100000"),
            absl::string_view::npos)
      << r.status();
}

TEST_F(ReplayTest, BoundsAndUnknownTenant) {
  v1::WhatIfRequest req = Request();
  req.set_tenant("nobody");
  EXPECT_EQ(whatif_->Run(req).status().code(), absl::StatusCode::kNotFound);
  req.set_tenant("Bad Tenant");
  absl::StatusOr<v1::WhatIfResponse> r = whatif_->Run(req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("tenant"), absl::string_view::npos);

  req = Request();
  for (size_t i = 0; i <= kMaxWhatIfEntryChanges; ++i) {
    req.add_add_origins("https://a.example.com");
  }
  r = whatif_->Run(req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("expected at most 1000"),
            absl::string_view::npos)
      << r.status();

  req = Request();
  v1::ObservedShape* s = req.add_shapes();
  s->mutable_shape()->set_origin(std::string(kMaxShapeOriginBytes + 1, 'o'));
  r = whatif_->Run(req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("shapes[0].shape.origin: 257 bytes"),
            absl::string_view::npos)
      << r.status();
  s->mutable_shape()->clear_origin();
  s->mutable_shape()->set_door("smtp");
  r = whatif_->Run(req);
  EXPECT_NE(r.status().message().find("shapes[0].shape.door"),
            absl::string_view::npos)
      << r.status();
}

TEST_F(ReplayTest, WithoutARecorderOnlyGivenShapesAreReplayed) {
  WhatIf bare(WhatIfDeps{.catalog = node_->catalog.get(),
                         .engine = engine_.get(),
                         .epochs = &node_->epochs});
  v1::WhatIfRequest req = Request();
  req.add_remove_origins("https://a.example.com");
  absl::StatusOr<v1::WhatIfResponse> r = bare.Run(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->recording());
  EXPECT_EQ(r->shapes(), 0u);
  EXPECT_EQ(r->changes_size(), 0);
}

}  // namespace
}  // namespace corsd::whatif
