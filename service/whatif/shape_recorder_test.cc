// The shape recorder: equal requests are one shape with a count, every
// outcome-relevant field tells shapes apart (the query does not), the
// per-tenant quota, the tenant cap, oversized fields and a full ring drop
// and count, decisions for no tenant are ignored, last-seen follows the
// clock, and a shape survives the trip through the ring byte for byte.
#include "service/whatif/shape_recorder.h"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/decision/testing/fixture.h"

namespace corsd::whatif {
namespace {

using decision::testing::OwnedRequest;

// Feeds one decision for `tenant` (table id `id`) through `door`, with
// decision id `decision_id` (0: none, so always considered).
void Observe(ShapeRecorder& rec, uint32_t id, absl::string_view tenant,
             const OwnedRequest& req, absl::string_view door = "decide",
             uint64_t decision_id = 0) {
  const decision::Request r = req.View();
  decision::Decision d;
  d.tenant = id;
  d.tenant_name = tenant;
  rec.OnDecision(door::DecisionEvent{.door = door,
                                     .tenant = tenant,
                                     .request = r,
                                     .decision = d,
                                     .id = decision_id});
}

std::unique_ptr<ShapeRecorder> Make(ShapeRecorderOptions options = {}) {
  absl::StatusOr<std::unique_ptr<ShapeRecorder>> rec =
      ShapeRecorder::Create(std::move(options));
  EXPECT_TRUE(rec.ok()) << rec.status();
  return rec.ok() ? *std::move(rec) : nullptr;
}

OwnedRequest Get(absl::string_view origin) {
  OwnedRequest r;
  r.origin = std::string(origin);
  return r;
}

TEST(ShapeRecorderTest, EqualRequestsAreOneShapeWithACount) {
  auto rec = Make();
  for (int i = 0; i < 5; ++i) Observe(*rec, 0, "acme", Get("https://a.com"));
  rec->Flush();
  // Once inserted, the hot path counts without the ring.
  for (int i = 0; i < 7; ++i) Observe(*rec, 0, "acme", Get("https://a.com"));
  rec->Flush();
  const std::vector<RecordedShape> shapes = rec->Snapshot("acme");
  ASSERT_EQ(shapes.size(), 1u);
  EXPECT_EQ(shapes[0].count, 12u);
  EXPECT_EQ(shapes[0].shape.origin, "https://a.com");
  EXPECT_TRUE(shapes[0].shape.has_origin);
  EXPECT_EQ(shapes[0].shape.door, Door::kDecide);
  EXPECT_EQ(rec->Stats().shapes, 1u);
  EXPECT_EQ(rec->Stats().Dropped(), 0u);
}

TEST(ShapeRecorderTest, SamplesOneDecisionInNByIdAndScalesTheCount) {
  ShapeRecorderOptions options;
  options.sample_one_in = 4;
  auto rec = Make(options);
  // Ids 1..40: those with the two low bits clear (4, 8, ..., 40) are
  // sampled, each standing for 4 decisions; the others are not looked at.
  for (uint64_t id = 1; id <= 40; ++id) {
    Observe(*rec, 0, "acme", Get("https://a.com"), "decide", id);
    if (id == 4) rec->Flush();  // later ones count on the hot path
  }
  // A shape whose decisions are never sampled is never kept.
  for (uint64_t id = 1; id <= 40; id += 4) {
    Observe(*rec, 0, "acme", Get("https://never.com"), "decide", id);
  }
  // Without an id a decision is considered and counts once.
  Observe(*rec, 0, "acme", Get("https://a.com"), "decide", 0);
  rec->Flush();
  const std::vector<RecordedShape> shapes = rec->Snapshot("acme");
  ASSERT_EQ(shapes.size(), 1u);
  EXPECT_EQ(shapes[0].shape.origin, "https://a.com");
  EXPECT_EQ(shapes[0].count, 10u * 4u + 1u);
  EXPECT_EQ(rec->Stats().Dropped(), 0u);
}

TEST(ShapeRecorderTest, SampleMustBeAPowerOfTwoInRange) {
  for (uint32_t bad : {0u, 3u, 24u, kMaxSampleOneIn * 2}) {
    ShapeRecorderOptions options;
    options.sample_one_in = bad;
    absl::StatusOr<std::unique_ptr<ShapeRecorder>> rec =
        ShapeRecorder::Create(options);
    ASSERT_FALSE(rec.ok()) << bad;
    EXPECT_EQ(rec.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(rec.status().message().find("--whatif-sample"),
              absl::string_view::npos)
        << rec.status();
  }
}

TEST(ShapeRecorderTest, EveryOutcomeFieldTellsShapesApartButNotTheQuery) {
  auto rec = Make();
  const OwnedRequest base = Get("https://a.com");
  std::vector<OwnedRequest> variants(13, base);
  variants[1].method = "PUT";
  variants[2].origin = "https://b.com";
  variants[3].origin.reset();
  variants[4].host = "other.test";
  variants[5].path = "/public/x";
  variants[6].acrm = "PUT";
  variants[7].acrh = "x-a";
  variants[8].acrpn = "true";
  variants[9].upgrade = "websocket";
  variants[10].connection = "upgrade";
  variants[11].credentials = true;
  variants[12].origin = "";  // present but empty differs from absent
  for (const OwnedRequest& r : variants) Observe(*rec, 0, "acme", r);
  Observe(*rec, 0, "acme", base, "http");  // another door
  OwnedRequest query = base;
  query.path = "/v1/items?page=2";  // same shape as base
  Observe(*rec, 0, "acme", query);
  rec->Flush();
  const std::vector<RecordedShape> shapes = rec->Snapshot("acme");
  EXPECT_EQ(shapes.size(), 14u);
  ASSERT_FALSE(shapes.empty());
  EXPECT_EQ(shapes[0].count, 2u);  // base and its query variant
  EXPECT_EQ(shapes[0].shape.path, "/v1/items");
}

TEST(ShapeRecorderTest, ShapeRoundTripsThroughTheRing) {
  auto rec = Make();
  OwnedRequest r;
  r.method = "OPTIONS";
  r.host = "api.acme.test:8443";
  r.path = "/pna/deep/path?secret=1";
  r.origin = "https://www.shop.example.com";
  r.acrm = "PATCH";
  r.acrh = "authorization,x-request-id";
  r.acrpn = "true";
  r.upgrade = "websocket";
  r.connection = "keep-alive, Upgrade";
  r.credentials = true;
  Observe(*rec, 3, "acme", r, "ext_authz");
  rec->Flush();
  const std::vector<RecordedShape> shapes = rec->Snapshot("acme");
  ASSERT_EQ(shapes.size(), 1u);
  const Shape& s = shapes[0].shape;
  EXPECT_EQ(s.door, Door::kExtAuthz);
  EXPECT_EQ(s.method, "OPTIONS");
  EXPECT_EQ(s.host, "api.acme.test:8443");
  EXPECT_EQ(s.path, "/pna/deep/path");
  EXPECT_EQ(s.origin, "https://www.shop.example.com");
  EXPECT_EQ(s.request_method, "PATCH");
  EXPECT_TRUE(s.has_request_method);
  EXPECT_EQ(s.request_headers, "authorization,x-request-id");
  EXPECT_TRUE(s.has_request_headers);
  EXPECT_EQ(s.private_network, "true");
  EXPECT_TRUE(s.has_private_network);
  EXPECT_EQ(s.upgrade, "websocket");
  EXPECT_EQ(s.connection, "keep-alive, Upgrade");
  EXPECT_TRUE(s.credentials);
  EXPECT_EQ(s.Fingerprint(), ShapeFingerprint(Door::kExtAuthz, r.View()));
  // The shape decides like the request it came from.
  decision::testing::World world;
  decision::Decision a, b;
  const decision::Request again = s.ToRequest();
  {
    table::EpochManager::ReadGuard guard(world.epochs());
    world.engine().Decide("acme", r.View(), &a);
    world.engine().Decide("acme", again, &b);
  }
  EXPECT_EQ(a.reason, b.reason);
  EXPECT_EQ(a.status, b.status);
}

TEST(ShapeRecorderTest, QuotaPerTenantDropsAndCounts) {
  ShapeRecorderOptions o;
  o.shapes_per_tenant = 4;
  auto rec = Make(o);
  for (int i = 0; i < 10; ++i) {
    Observe(*rec, 0, "acme", Get(absl::StrCat("https://o", i, ".com")));
    rec->Flush();
  }
  // Known shapes still count once the quota is full.
  Observe(*rec, 0, "acme", Get("https://o0.com"));
  // Another tenant has its own quota.
  Observe(*rec, 1, "open", Get("https://o9.com"));
  rec->Flush();
  const std::vector<RecordedShape> acme = rec->Snapshot("acme");
  ASSERT_EQ(acme.size(), 4u);
  EXPECT_EQ(acme[0].shape.origin, "https://o0.com");
  EXPECT_EQ(acme[0].count, 2u);
  EXPECT_EQ(rec->Snapshot("open").size(), 1u);
  EXPECT_EQ(rec->Stats().dropped_tenant_full, 6u);
  EXPECT_EQ(rec->Stats().Dropped(), 6u);
}

TEST(ShapeRecorderTest, TenantCapDropsAndCounts) {
  ShapeRecorderOptions o;
  o.max_tenants = 2;
  auto rec = Make(o);
  for (uint32_t id = 0; id < 5; ++id) {
    Observe(*rec, id, absl::StrCat("t", id), Get("https://a.com"));
    rec->Flush();
  }
  EXPECT_EQ(rec->Stats().tenants, 2u);
  EXPECT_EQ(rec->Snapshot("t1").size(), 1u);
  EXPECT_TRUE(rec->Snapshot("t2").empty());
  EXPECT_EQ(rec->Stats().dropped_tenant_cap, 3u);
}

TEST(ShapeRecorderTest, NoTenantIgnoredAndOversizedFieldsDropped) {
  auto rec = Make();
  Observe(*rec, table::kNoTenant, "", Get("https://a.com"));
  OwnedRequest big = Get(std::string(kMaxShapeOriginBytes + 1, 'a'));
  Observe(*rec, 0, "acme", big);
  OwnedRequest headers = Get("https://a.com");
  headers.acrh = std::string(kMaxShapeRequestHeadersBytes + 1, 'x');
  Observe(*rec, 0, "acme", headers);
  // A long path is cut, not dropped.
  OwnedRequest long_path = Get("https://a.com");
  long_path.path = "/" + std::string(1000, 'p');
  Observe(*rec, 0, "acme", long_path);
  rec->Flush();
  EXPECT_EQ(rec->Stats().dropped_too_large, 2u);
  const std::vector<RecordedShape> shapes = rec->Snapshot("acme");
  ASSERT_EQ(shapes.size(), 1u);
  EXPECT_EQ(shapes[0].shape.path.size(), kMaxShapePathBytes);
  EXPECT_TRUE(rec->Snapshot("").empty());
}

TEST(ShapeRecorderTest, FullRingDropsAndCounts) {
  ShapeRecorderOptions o;
  o.ring_records = 2;
  o.poll = absl::Hours(1);  // the background thread drains only on Flush
  auto rec = Make(o);
  rec->Flush();  // the first pass of the loop is done: it now sleeps
  for (int i = 0; i < 5; ++i) {
    Observe(*rec, 0, "acme", Get(absl::StrCat("https://o", i, ".com")));
  }
  rec->Flush();
  EXPECT_EQ(rec->Snapshot("acme").size(), 2u);
  EXPECT_EQ(rec->Stats().dropped_ring_full, 3u);
}

TEST(ShapeRecorderTest, LastSeenFollowsTheClock) {
  std::atomic<int64_t> now{1'700'000'000'000};
  ShapeRecorderOptions o;
  o.now_unix_ms = [&] { return now.load(); };
  auto rec = Make(o);
  Observe(*rec, 0, "acme", Get("https://a.com"));
  rec->Flush();
  EXPECT_EQ(rec->Snapshot("acme")[0].last_seen_unix_ms, 1'700'000'000'000);
  now += 5000;
  rec->Flush();  // the background thread reads the clock
  Observe(*rec, 0, "acme", Get("https://a.com"));
  rec->Flush();
  const std::vector<RecordedShape> shapes = rec->Snapshot("acme");
  ASSERT_EQ(shapes.size(), 1u);
  EXPECT_EQ(shapes[0].last_seen_unix_ms, 1'700'000'005'000);
  EXPECT_EQ(shapes[0].count, 2u);
}

TEST(ShapeRecorderTest, RecreatedTenantMergesUnderItsName) {
  auto rec = Make();
  Observe(*rec, 0, "acme", Get("https://a.com"));
  Observe(*rec, 7, "acme", Get("https://a.com"));  // deleted, created again
  Observe(*rec, 7, "acme", Get("https://b.com"));
  rec->Flush();
  const std::vector<RecordedShape> shapes = rec->Snapshot("acme");
  ASSERT_EQ(shapes.size(), 2u);
  EXPECT_EQ(shapes[0].count, 2u);
  EXPECT_EQ(shapes[1].count, 1u);
}

TEST(ShapeRecorderTest, CreateRefusesOutOfRangeOptions) {
  ShapeRecorderOptions o;
  o.shapes_per_tenant = 0;
  absl::StatusOr<std::unique_ptr<ShapeRecorder>> r = ShapeRecorder::Create(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("--whatif-shapes-per-tenant 0"),
            absl::string_view::npos)
      << r.status();
  o = {};
  o.max_tenants = kMaxTrackedTenants + 1;
  r = ShapeRecorder::Create(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--whatif-tenants"),
            absl::string_view::npos);
  o = {};
  o.ring_records = 1000;
  EXPECT_FALSE(ShapeRecorder::Create(o).ok());
}

TEST(ShapeRecorderTest, PrometheusNamesEveryCause) {
  auto rec = Make();
  Observe(*rec, 0, "acme", Get("https://a.com"));
  rec->Flush();
  std::string text;
  rec->RenderPrometheus(&text);
  EXPECT_NE(text.find("corsd_whatif_shapes 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("corsd_whatif_tenants 1\n"), std::string::npos);
  for (const char* cause :
       {"ring_full", "tenant_full", "tenant_cap", "too_large", "memory"}) {
    EXPECT_NE(
        text.find(absl::StrCat("corsd_whatif_shapes_dropped_total{cause=\"",
                               cause, "\"} 0\n")),
        std::string::npos)
        << cause;
  }
}

}  // namespace
}  // namespace corsd::whatif
