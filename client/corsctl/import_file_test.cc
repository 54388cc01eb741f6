#include "client/corsctl/import_file.h"

#include "gtest/gtest.h"

namespace corsd::corsctl {
namespace {

TEST(CheckCsvLineTest, SkipsHeaderCommentsAndBlankLines) {
  std::string scratch;
  EXPECT_EQ(CheckCsvLine("tenant,origin", true, &scratch).kind,
            CsvLine::Kind::kSkip);
  EXPECT_EQ(CheckCsvLine("# comment", false, &scratch).kind,
            CsvLine::Kind::kSkip);
  EXPECT_EQ(CheckCsvLine("   \r", false, &scratch).kind, CsvLine::Kind::kSkip);
  // A header is only a header on the first line.
  EXPECT_EQ(CheckCsvLine("tenant,origin", false, &scratch).kind,
            CsvLine::Kind::kBad);
}

TEST(CheckCsvLineTest, CanonicalFastPathAndSlowPath) {
  std::string scratch;
  CsvLine fast = CheckCsvLine("acme,https://a.example.com\r", false, &scratch);
  ASSERT_EQ(fast.kind, CsvLine::Kind::kItem);
  EXPECT_EQ(fast.tenant, "acme");
  EXPECT_EQ(fast.value, "https://a.example.com");
  EXPECT_EQ(fast.entry_kind, corsd::v1::ENTRY_KIND_ORIGIN);

  CsvLine slow =
      CheckCsvLine(" acme , \"HTTPS://A.Example.com:443\" ", false, &scratch);
  ASSERT_EQ(slow.kind, CsvLine::Kind::kItem);
  EXPECT_EQ(slow.value, "https://a.example.com");
  EXPECT_EQ(slow.raw_value, "HTTPS://A.Example.com:443");

  CsvLine wildcard = CheckCsvLine("acme,https://*.acme.com", false, &scratch);
  ASSERT_EQ(wildcard.kind, CsvLine::Kind::kItem);
  EXPECT_EQ(wildcard.entry_kind, corsd::v1::ENTRY_KIND_WILDCARD);
}

TEST(CheckCsvLineTest, BadLinesSayWhy) {
  std::string scratch;
  struct Case {
    const char* line;
    const char* reason;
  };
  const Case cases[] = {
      {"acme https://a.com", "no comma"},
      {"acme,https://a.com,x", "more than two fields"},
      {"acme,https://a.com/path", "value \"https://a.com/path\""},
      {"ACME!,https://a.com", "tenant \"ACME!\""},
      {"acme,https://*.com", "value \"https://*.com\": wildcard"},
      {"acme,file:///etc", "value"},
  };
  for (const Case& c : cases) {
    CsvLine out = CheckCsvLine(c.line, false, &scratch);
    EXPECT_EQ(out.kind, CsvLine::Kind::kBad) << c.line;
    EXPECT_NE(out.reason.find(c.reason), std::string::npos)
        << c.line << " -> " << out.reason;
  }
}

}  // namespace
}  // namespace corsd::corsctl
