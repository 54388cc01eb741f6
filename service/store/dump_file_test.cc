#include "service/store/dump_file.h"

#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace corsd::store {
namespace {

std::vector<DumpRecord> ReadAll(const std::string& text, absl::Status* error) {
  std::istringstream in(text);
  DumpReader reader(&in);
  std::vector<DumpRecord> records;
  DumpRecord r;
  for (;;) {
    auto more = reader.Next(&r);
    if (!more.ok()) {
      *error = more.status();
      return records;
    }
    if (!*more) break;
    records.push_back(r);
  }
  *error = absl::OkStatus();
  return records;
}

TEST(DumpFile, WriterOutputIsTheDocumentedFormat) {
  std::ostringstream out;
  DumpWriter w(&out);
  v1::Tenant t;
  t.set_id("acme");
  t.mutable_policy()->add_allowed_methods("PATCH");
  t.mutable_policy()->set_production(true);
  ASSERT_TRUE(w.WriteTenant(t).ok());
  ASSERT_TRUE(
      w.WriteEntry("acme", EntryKind::kOrigin, "https://shop.acme.com").ok());
  ASSERT_TRUE(w.WriteEntry("acme", EntryKind::kApiHost, "api.acme.com").ok());
  ASSERT_TRUE(w.Finish().ok());
  EXPECT_EQ(out.str(),
            "{\"format\":\"corsd-dump\",\"version\":1}\n"
            "{\"tenant\":{\"id\":\"acme\",\"policy\":{\"allowedMethods\":["
            "\"PATCH\"],\"production\":true}}}\n"
            "{\"tenant\":\"acme\",\"kind\":\"origin\",\"value\":\"https://"
            "shop.acme.com\"}\n"
            "{\"tenant\":\"acme\",\"kind\":\"api_host\",\"value\":\"api.acme."
            "com\"}\n");
  EXPECT_EQ(w.lines(), 4u);
}

TEST(DumpFile, RoundTripsEscapesAndAnyKeyOrder) {
  std::ostringstream out;
  DumpWriter w(&out);
  const std::string odd = "va\"l\\ue\t\x01\xc3\xa9";
  ASSERT_TRUE(w.WriteEntry("t", EntryKind::kWildcard, odd).ok());
  absl::Status error;
  auto records =
      ReadAll(out.str() +
                  "\n  \n{ \"value\" : \"https://x.com\", \"kind\":"
                  "\"origin\", \"tenant\":\"t\\u00e9\\ud83d\\ude00\"}\r\n",
              &error);
  ASSERT_TRUE(error.ok()) << error;
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].type, DumpRecord::Type::kEntry);
  EXPECT_EQ(records[0].kind, EntryKind::kWildcard);
  EXPECT_EQ(records[0].value, odd);
  EXPECT_EQ(records[1].entry_tenant, "t\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(records[1].value, "https://x.com");
}

TEST(DumpFile, RefusesBadInputNamingTheLine) {
  const std::string header = "{\"format\":\"corsd-dump\",\"version\":1}\n";
  struct Case {
    std::string text;
    std::string expect;  // substring of the error
  } const cases[] = {
      {"", "empty"},
      {"{\"format\":\"other\",\"version\":1}\n", "not a corsd dump header"},
      {"{\"format\":\"corsd-dump\",\"version\":2}\n", "version 2"},
      {header + "{\"tenant\":\"t\",\"kind\":\"host\",\"value\":\"x\"}\n",
       "line 2: kind \"host\""},
      {header + "{\"tenant\":\"t\",\"kind\":\"origin\"}\n", "line 2"},
      {header + "{\"tenant\":\"t\",\"kind\":\"origin\",\"value\":\"x\","
                "\"extra\":1}\n",
       "unknown key \"extra\""},
      {header + "{\"tenant\":{\"id\":\"t\",\"bogus\":1}}\n",
       "not a corsd.v1.Tenant"},
      {header + "not json\n", "line 2"},
      {header + "{\"tenant\":\"t\",\"kind\":\"origin\",\"value\":\"x\"} x\n",
       "trailing"},
      {header +
           "{\"tenant\":\"t\\ud800\",\"kind\":\"origin\",\"value\":\"x\"}\n",
       "line 2"},
  };
  for (const Case& c : cases) {
    absl::Status error;
    ReadAll(c.text, &error);
    EXPECT_EQ(error.code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(error.message().find(c.expect), std::string::npos)
        << c.text << " -> " << error;
  }
}

TEST(DumpFile, ChunksKeepFileOrder) {
  std::ostringstream out;
  DumpWriter w(&out);
  v1::Tenant a, b;
  a.set_id("a");
  b.set_id("b");
  ASSERT_TRUE(w.WriteTenant(a).ok());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(w.WriteEntry("a", EntryKind::kOrigin, "https://a.com").ok());
  }
  ASSERT_TRUE(w.WriteTenant(b).ok());  // after entries: starts a new chunk
  ASSERT_TRUE(w.WriteEntry("b", EntryKind::kOrigin, "https://b.com").ok());
  std::istringstream in(out.str());
  std::vector<std::pair<int, int>> shapes;
  ASSERT_TRUE(ReadDumpAsImportChunks(&in, 4, [&](const v1::ImportChunk& c) {
                shapes.push_back({c.tenants_size(), c.ops_size()});
                for (const auto& op : c.ops()) {
                  EXPECT_EQ(op.op(), v1::EntryOp::OP_ADD);
                }
                return absl::OkStatus();
              }).ok());
  const std::vector<std::pair<int, int>> want = {{1, 3}, {0, 2}, {1, 1}};
  EXPECT_EQ(shapes, want);
  std::istringstream again(out.str());
  EXPECT_EQ(ReadDumpAsImportChunks(&again, 4,
                                   [](const v1::ImportChunk&) {
                                     return absl::AbortedError("stop");
                                   })
                .code(),
            absl::StatusCode::kAborted);
}

TEST(DumpFile, ExportChunkWithANonAddOpIsRefused) {
  std::ostringstream out;
  DumpWriter w(&out);
  v1::ExportChunk chunk;
  v1::EntryOp* op = chunk.add_ops();
  op->set_op(v1::EntryOp::OP_REMOVE);
  op->set_kind(v1::ENTRY_KIND_ORIGIN);
  EXPECT_EQ(w.WriteExportChunk(chunk).code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace corsd::store
