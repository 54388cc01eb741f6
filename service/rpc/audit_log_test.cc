// AuditLog: the line format field by field, escaping and cutting, the file
// destination, Reopen after a rename, and the counters.
#include "service/rpc/audit_log.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace corsd::rpc {
namespace {

// 2026-12-07T21:04:05.123456Z.
constexpr int64_t kNow = 1796677445123456;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(AuditLogFormatTest, EveryFieldInOrder) {
  AuditRecord r;
  r.token_id = "ci-shop";
  r.rpc = "WriteEntries";
  r.tenants = {"shop", "shop-eu"};
  r.tenant_count = 2;
  r.items = 3;
  r.dry_run = false;
  r.revision = 17;
  EXPECT_EQ(AuditLog::FormatLine(r, kNow),
            "{\"time\":\"2026-12-07T21:04:05.123Z\",\"token_id\":\"ci-shop\","
            "\"rpc\":\"WriteEntries\",\"tenants\":[\"shop\",\"shop-eu\"],"
            "\"tenant_count\":2,\"items\":3,\"dry_run\":false,"
            "\"revision\":17,\"outcome\":\"OK\",\"message\":\"\"}\n");
}

TEST(AuditLogFormatTest, RefusalHasNullTokenAndRevisionAndTheCodeName) {
  AuditRecord r;
  r.rpc = "DeleteTenant";
  r.tenants = {"shop"};
  r.tenant_count = 1;
  r.items = 1;
  r.dry_run = true;
  r.revision = 9;  // ignored: the line says what the write produced
  r.code = absl::StatusCode::kUnauthenticated;
  r.message = "admin call with an unknown bearer token";
  r.revision = 0;
  EXPECT_EQ(AuditLog::FormatLine(r, kNow),
            "{\"time\":\"2026-12-07T21:04:05.123Z\",\"token_id\":null,"
            "\"rpc\":\"DeleteTenant\",\"tenants\":[\"shop\"],"
            "\"tenant_count\":1,\"items\":1,\"dry_run\":true,"
            "\"revision\":null,\"outcome\":\"UNAUTHENTICATED\","
            "\"message\":\"admin call with an unknown bearer token\"}\n");
}

TEST(AuditLogFormatTest, EscapesAndCuts) {
  AuditRecord r;
  r.token_id = "id";
  r.rpc = "PutTenant";
  // Eleven tenants: ten listed, all counted by tenant_count.
  for (int i = 0; i < 11; ++i) r.tenants.push_back("t" + std::to_string(i));
  r.tenant_count = 11;
  r.code = absl::StatusCode::kInvalidArgument;
  r.message = std::string("a\"b\\c\n\xc3\xa9") +
              std::string(kAuditMaxMessageBytes, 'x');
  const std::string line = AuditLog::FormatLine(r, kNow);
  EXPECT_NE(line.find("\"tenants\":[\"t0\",\"t1\",\"t2\",\"t3\",\"t4\",\"t5\","
                      "\"t6\",\"t7\",\"t8\",\"t9\"],\"tenant_count\":11"),
            std::string::npos)
      << line;
  EXPECT_NE(line.find("\"outcome\":\"INVALID_ARGUMENT\""), std::string::npos);
  EXPECT_NE(line.find("\"message\":\"a\\\"b\\\\c\\u000a\\u00c3\\u00a9xxx"),
            std::string::npos)
      << line;
  EXPECT_NE(line.find("x\\u2026\"}\n"), std::string::npos) << line;
  // One line, plain ASCII.
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  for (char c : line) EXPECT_LT(static_cast<unsigned char>(c), 0x80);
}

TEST(AuditLogTest, WritesLinesReopensAfterRenameAndCounts) {
  const std::string path = ::testing::TempDir() + "/audit_log_test_" +
                           std::to_string(getpid()) + ".log";
  std::remove(path.c_str());
  std::remove((path + ".1").c_str());
  absl::StatusOr<std::unique_ptr<AuditLog>> log =
      AuditLog::Open({.path = path, .now_unix_micros = [] { return kNow; }});
  ASSERT_TRUE(log.ok()) << log.status();
  AuditRecord r;
  r.token_id = "a";
  r.rpc = "PutTenant";
  r.tenants = {"shop"};
  r.tenant_count = 1;
  r.items = 1;
  r.revision = 1;
  (*log)->Write(r);
  ASSERT_EQ(std::rename(path.c_str(), (path + ".1").c_str()), 0);
  r.revision = 2;
  (*log)->Write(r);  // still the renamed file
  ASSERT_TRUE((*log)->Reopen().ok());
  r.revision = 3;
  (*log)->Write(r);
  const std::string old_file = ReadAll(path + ".1");
  const std::string new_file = ReadAll(path);
  EXPECT_EQ(old_file, AuditLog::FormatLine(
                          [&] {
                            AuditRecord x = r;
                            x.revision = 1;
                            return x;
                          }(),
                          kNow) +
                          AuditLog::FormatLine(
                              [&] {
                                AuditRecord x = r;
                                x.revision = 2;
                                return x;
                              }(),
                              kNow));
  EXPECT_EQ(new_file, AuditLog::FormatLine(r, kNow));
  const AuditLogStats stats = (*log)->Stats();
  EXPECT_EQ(stats.lines, 3u);
  EXPECT_EQ(stats.write_errors, 0u);
  EXPECT_EQ(stats.reopens, 1u);
  std::string metrics;
  (*log)->RenderPrometheus(&metrics);
  EXPECT_NE(metrics.find("corsd_audit_log_lines_total 3\n"), std::string::npos);
  EXPECT_NE(metrics.find("corsd_audit_log_write_errors_total 0\n"),
            std::string::npos);
  std::remove(path.c_str());
  std::remove((path + ".1").c_str());
}

TEST(AuditLogTest, FailedWriteIsCounted) {
  // /dev/full accepts the open and fails every write with ENOSPC.
  absl::StatusOr<std::unique_ptr<AuditLog>> log =
      AuditLog::Open({.path = "/dev/full"});
  ASSERT_TRUE(log.ok()) << log.status();
  AuditRecord r;
  r.rpc = "PutTenant";
  (*log)->Write(r);
  EXPECT_EQ((*log)->Stats().write_errors, 1u);
  EXPECT_EQ((*log)->Stats().lines, 0u);
  std::string metrics;
  (*log)->RenderPrometheus(&metrics);
  EXPECT_NE(metrics.find("corsd_audit_log_write_errors_total 1\n"),
            std::string::npos);
}

TEST(AuditLogTest, OpenErrorsNameTheFlag) {
  absl::StatusOr<std::unique_ptr<AuditLog>> empty = AuditLog::Open({});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<std::unique_ptr<AuditLog>> missing =
      AuditLog::Open({.path = "/nonexistent-dir/audit.log"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("--audit-log"), std::string::npos);
}

}  // namespace
}  // namespace corsd::rpc
