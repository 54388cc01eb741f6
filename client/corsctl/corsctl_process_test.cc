// corsctl as a process against the real corsd (started by corsd_testing on
// loopback port 0): every subcommand, human and --json output, exit codes,
// and a 1M-row import with bad lines (all-or-nothing by default; good rows
// applied with --skip-bad; counts checked with Stats and ls).
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/testing/subprocess.h"
#include "gtest/gtest.h"
#include "service/rpc/testing/corsd_process.h"

namespace corsd::corsctl {
namespace {

using ::corsd::testing::ProcessResult;

class CorsctlProcessTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    corsd::testing::CorsdProcessOptions options;
    options.binary = CORSD_BINARY;
    auto process = corsd::testing::CorsdProcess::Start(options);
    ASSERT_TRUE(process.ok()) << process.status();
    corsd_ = process->release();
    // Each test runs in its own process (gtest_discover_tests), possibly in
    // parallel with the others: files go in a directory of this process's
    // own, never a shared fixed path.
    char dir_template[] = "/tmp/corsctl_process_test_XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    token_file_ = dir_ + "/token";
    std::ofstream(token_file_) << corsd_->token() << "\n";
  }
  static void TearDownTestSuite() {
    delete corsd_;
    corsd_ = nullptr;
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Runs corsctl with the server's addresses in the environment.
  static ProcessResult Run(std::vector<std::string> args,
                           std::string stdin_data = "") {
    std::vector<std::string> argv = {CORSCTL_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    corsd::testing::ProcessOptions options;
    options.stdin_data = std::move(stdin_data);
    options.env = {{"CORSD_ADDR", corsd_->decision_address()},
                   {"CORSD_ADMIN_ADDR", corsd_->admin_address()},
                   {"CORSD_TOKEN_FILE", token_file_}};
    auto result = corsd::testing::RunProcess(argv, options);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : ProcessResult();
  }

  static corsd::testing::CorsdProcess* corsd_;
  static std::string dir_;
  static std::string token_file_;
};

corsd::testing::CorsdProcess* CorsctlProcessTest::corsd_ = nullptr;
std::string CorsctlProcessTest::dir_;
std::string CorsctlProcessTest::token_file_;

#define EXPECT_HAS(haystack, needle) \
  EXPECT_TRUE(absl::StrContains(haystack, needle)) << (haystack)

TEST_F(CorsctlProcessTest, TenantPutGetListDelete) {
  ProcessResult put =
      Run({"tenant", "put", "acme", "--allow-method", "PUT", "--allow-header",
           "x-api-key", "--credentials", "--max-age", "9000"});
  EXPECT_EQ(put.exit_code, 0) << put.err;
  EXPECT_HAS(put.out, "tenant acme created");
  EXPECT_HAS(put.out, "warning:");  // max-age above 7200

  ProcessResult get = Run({"tenant", "get", "acme"});
  EXPECT_EQ(get.exit_code, 0) << get.err;
  EXPECT_HAS(get.out, "methods: GET HEAD POST PUT");
  EXPECT_HAS(get.out, "credentials: yes");

  ProcessResult get_json = Run({"tenant", "get", "acme", "--json"});
  EXPECT_EQ(get_json.exit_code, 0);
  EXPECT_HAS(get_json.out, "\"allow_credentials\":true");

  // Refused client-side before sending: public + credentials (R4).
  ProcessResult bad =
      Run({"tenant", "put", "acme", "--public", "--credentials", "--json"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_HAS(bad.out, "\"ok\":false");
  EXPECT_HAS(bad.err, "public");

  ProcessResult list = Run({"tenant", "list"});
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_HAS(list.out, "acme");
  ProcessResult list_json = Run({"tenant", "list", "--json"});
  EXPECT_HAS(list_json.out, "\"tenants\":[");

  ASSERT_EQ(Run({"tenant", "put", "gone"}).exit_code, 0);
  ProcessResult del = Run({"tenant", "delete", "gone", "--json"});
  EXPECT_EQ(del.exit_code, 0) << del.err;
  EXPECT_HAS(del.out, "\"deleted\":true");
  EXPECT_EQ(Run({"tenant", "get", "gone"}).exit_code, 1);

  EXPECT_EQ(Run({"tenant", "put"}).exit_code, 2);
  EXPECT_EQ(Run({"tenant", "frob"}).exit_code, 2);
  EXPECT_EQ(Run({"tenant", "--help"}).exit_code, 0);
}

TEST_F(CorsctlProcessTest, EntriesAddRmLs) {
  ASSERT_EQ(Run({"tenant", "put", "shop"}).exit_code, 0);
  ProcessResult add = Run({"origins", "add", "shop", "HTTPS://Shop.Example.COM",
                           "https://b.example.com:443"});
  EXPECT_EQ(add.exit_code, 0) << add.err;
  EXPECT_HAS(add.out, "-> https://shop.example.com");
  EXPECT_HAS(add.out, "added 2 origin entries");

  ProcessResult ls = Run({"origins", "ls", "shop"});
  EXPECT_EQ(ls.out, "https://b.example.com\nhttps://shop.example.com\n");
  ProcessResult ls_json = Run({"origins", "ls", "shop", "--json"});
  EXPECT_HAS(ls_json.out, "\"values\":[\"https://b.example.com\"");

  // A path is refused before anything is sent; nothing changes.
  ProcessResult bad = Run({"origins", "add", "shop", "https://c.example.com",
                           "https://d.example.com/path"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_HAS(bad.err, "https://d.example.com/path");
  EXPECT_EQ(Run({"origins", "ls", "shop"}).out,
            "https://b.example.com\nhttps://shop.example.com\n");

  // Unknown tenant: refused by the server, reported per item.
  ProcessResult unknown =
      Run({"origins", "add", "nobody", "https://x.example.com", "--json"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_HAS(unknown.out, "\"items\":[{");

  ProcessResult rm = Run({"origins", "rm", "shop", "https://b.example.com"});
  EXPECT_EQ(rm.exit_code, 0) << rm.err;
  EXPECT_HAS(rm.out, "removed 1 origin entry");

  ProcessResult wc = Run({"wildcards", "add", "shop", "https://*.shop.com"});
  EXPECT_EQ(wc.exit_code, 0) << wc.err;
  EXPECT_EQ(Run({"wildcards", "ls", "shop"}).out, "https://*.shop.com\n");
  ProcessResult psl = Run({"wildcards", "add", "shop", "https://*.github.io"});
  EXPECT_EQ(psl.exit_code, 1);
  EXPECT_HAS(psl.err, "public suffix");

  ProcessResult host = Run({"api-hosts", "add", "shop", "API.Shop.com"});
  EXPECT_EQ(host.exit_code, 0) << host.err;
  EXPECT_EQ(Run({"api-hosts", "ls", "shop"}).out, "api.shop.com\n");
  EXPECT_EQ(Run({"api-hosts", "rm", "shop", "api.shop.com"}).exit_code, 0);

  ProcessResult stats = Run({"stats", "--json"});
  EXPECT_EQ(stats.exit_code, 0);
  EXPECT_HAS(stats.out, "\"origins\"");
  EXPECT_EQ(Run({"origins", "add", "shop"}).exit_code, 2);
}

TEST_F(CorsctlProcessTest, CheckExplainsWhatTheBrowserDoes) {
  ASSERT_EQ(Run({"tenant", "put", "chk", "--allow-method", "PUT",
                 "--allow-header", "x-request-id"})
                .exit_code,
            0);
  ASSERT_EQ(Run({"origins", "add", "chk", "https://app.chk.com"}).exit_code, 0);

  ProcessResult ok = Run({"check", "--tenant", "chk", "--origin",
                          "https://app.chk.com", "--method", "PUT"});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_HAS(ok.out, "preflight:");
  EXPECT_HAS(ok.out, "verdict: allowed");

  ProcessResult header =
      Run({"check", "--tenant", "chk", "--origin", "https://app.chk.com",
           "--method", "PUT", "--header", "X-Api-Key"});
  EXPECT_EQ(header.exit_code, 1) << header.out;
  EXPECT_HAS(header.out, "Access-Control-Allow-Headers lacks x-api-key");

  ProcessResult other = Run(
      {"check", "--tenant", "chk", "--origin", "https://evil.com", "--json"});
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_HAS(other.out, "\"allowed\":false");
  EXPECT_HAS(other.out, "Access-Control-Allow-Origin is missing");

  ProcessResult creds = Run({"check", "--tenant", "chk", "--origin",
                             "https://app.chk.com", "--credentials"});
  EXPECT_EQ(creds.exit_code, 1);
  EXPECT_HAS(creds.out, "Access-Control-Allow-Credentials");

  EXPECT_EQ(Run({"check", "--tenant", "chk"}).exit_code, 2);
}

// R13 is on by default; --allow-cross-origin-websocket turns it off (and
// lint warns); the deprecated --enforce-websocket is accepted, changes
// nothing and says so on stderr.
TEST_F(CorsctlProcessTest, WebsocketFlags) {
  ProcessResult put = Run({"tenant", "put", "wsd", "--enforce-websocket"});
  EXPECT_EQ(put.exit_code, 0) << put.err;
  EXPECT_HAS(put.err, "--enforce-websocket is deprecated and changes nothing");
  EXPECT_HAS(put.err, "--allow-cross-origin-websocket");
  EXPECT_HAS(Run({"tenant", "get", "wsd"}).out,
             "websocket from refused origins: denied (R13)");
  ProcessResult plain = Run({"tenant", "put", "wsd"});
  EXPECT_EQ(plain.exit_code, 0);
  EXPECT_EQ(plain.err, "");
  ProcessResult lint = Run({"lint", "wsd"});
  EXPECT_FALSE(absl::StrContains(lint.out, "R13")) << lint.out;

  ASSERT_EQ(
      Run({"tenant", "put", "wsd", "--allow-cross-origin-websocket"}).exit_code,
      0);
  EXPECT_HAS(Run({"tenant", "get", "wsd"}).out,
             "websocket from refused origins: allowed (R13 off)");
  lint = Run({"lint", "wsd"});
  EXPECT_EQ(lint.exit_code, 0) << lint.out;  // a warning
  EXPECT_HAS(lint.out, "warning R13");
  EXPECT_HAS(lint.out, "allow_cross_origin_websocket");
}

TEST_F(CorsctlProcessTest, LintServerAndFile) {
  ASSERT_EQ(Run({"tenant", "put", "lnt", "--production", "--max-age", "8000"})
                .exit_code,
            0);
  ASSERT_EQ(Run({"origins", "add", "lnt", "https://a.lnt.com"}).exit_code, 0);
  ASSERT_EQ(Run({"wildcards", "add", "lnt", "https://*.lnt.com"}).exit_code, 0);
  ProcessResult lint = Run({"lint", "lnt"});
  EXPECT_EQ(lint.exit_code, 0) << lint.out;  // warnings only
  EXPECT_HAS(lint.out, "warning R10");
  EXPECT_HAS(lint.out, "already covered by the wildcard");

  std::string file = dir_ + "/lint.csv";
  std::ofstream(file) << "tenant,origin\nlnt,HTTPS://B.lnt.com\n"
                      << "lnt,https://b.lnt.com\nlnt,https://*.com\n"
                      << "lnt,https://x.com/path\n";
  ProcessResult file_lint = Run({"lint", "--file", file, "--json"});
  EXPECT_EQ(file_lint.exit_code, 1);
  EXPECT_HAS(file_lint.out, "not canonical");
  EXPECT_HAS(file_lint.out, "duplicate entry");
  EXPECT_HAS(file_lint.out, "line 4");
  EXPECT_HAS(file_lint.out, "line 5");
}

TEST_F(CorsctlProcessTest, ExportThenImportDumpRoundTrips) {
  ASSERT_EQ(Run({"tenant", "put", "dmp", "--allow-method", "PATCH"}).exit_code,
            0);
  ASSERT_EQ(Run({"origins", "add", "dmp", "https://a.dmp.com"}).exit_code, 0);
  std::string file = dir_ + "/export.jsonl";
  ProcessResult exported = Run({"export", file, "--json"});
  EXPECT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_HAS(exported.out, "\"ok\":true");
  ASSERT_EQ(Run({"tenant", "delete", "dmp"}).exit_code, 0);
  ProcessResult imported = Run({"import", file, "--no-progress"});
  EXPECT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_EQ(Run({"origins", "ls", "dmp"}).out, "https://a.dmp.com\n");
  EXPECT_HAS(Run({"tenant", "get", "dmp"}).out, "PATCH");
}

TEST_F(CorsctlProcessTest, ImportMillionRowsWithBadLines) {
  ASSERT_EQ(Run({"tenant", "put", "bulk"}).exit_code, 0);
  const int kRows = 1000000;
  const std::vector<int> kBad = {7, 123457, 999999};  // 1-based line numbers
  std::string file = dir_ + "/million.csv";
  {
    std::ofstream out(file);
    std::string line;
    for (int i = 1; i <= kRows; ++i) {
      if (std::find(kBad.begin(), kBad.end(), i) != kBad.end()) {
        out << "bulk,https://bad" << i << ".example.com/with/path\n";
      } else {
        out << "bulk,https://h" << i << ".example.com\n";
      }
    }
  }
  // Default: every bad line listed with its number; nothing applied.
  ProcessResult refused = Run({"import", file});
  EXPECT_EQ(refused.exit_code, 1) << refused.out;
  for (int n : kBad) EXPECT_HAS(refused.err, absl::StrCat("line ", n, ": "));
  EXPECT_HAS(refused.out, "nothing imported: 3 bad line(s)");
  EXPECT_HAS(refused.err, "import: ");  // plain progress lines (not a tty)
  ProcessResult info = Run({"tenant", "get", "bulk", "--json"});
  EXPECT_FALSE(absl::StrContains(info.out, "\"origins\"")) << info.out;

  // --skip-bad: the good rows are applied, the bad ones reported.
  ProcessResult skipped = Run({"import", file, "--skip-bad", "--json"});
  EXPECT_EQ(skipped.exit_code, 0) << skipped.err;
  EXPECT_HAS(skipped.out, absl::StrCat("\"rows_applied\":", kRows - 3));
  EXPECT_HAS(skipped.out, "\"bad\":3");
  EXPECT_HAS(skipped.out, "{\"line\":123457,");
  info = Run({"tenant", "get", "bulk", "--json"});
  EXPECT_HAS(info.out, absl::StrCat("\"origins\":\"", kRows - 3, "\""));

  // --dry-run of a clean file changes nothing and exits 0.
  std::string clean = dir_ + "/clean.csv";
  std::ofstream(clean) << "tenant,origin\nbulk,https://new.example.com\n";
  ProcessResult dry = Run({"import", clean, "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_HAS(dry.out, "dry run: 1 rows checked");
  info = Run({"tenant", "get", "bulk", "--json"});
  EXPECT_HAS(info.out, absl::StrCat("\"origins\":\"", kRows - 3, "\""));

  // Server-side refusal (unknown tenant) reported with its line number.
  std::string unknown = dir_ + "/unknown.csv";
  std::ofstream(unknown) << "bulk,https://u1.example.com\n"
                         << "nosuch,https://u2.example.com\n";
  ProcessResult server = Run({"import", unknown});
  EXPECT_EQ(server.exit_code, 1);
  EXPECT_HAS(server.err, "line 2: ");
}

TEST_F(CorsctlProcessTest, UnreachableServerFailsWithExit1) {
  corsd::testing::ProcessOptions options;
  options.env = {{"CORSD_ADMIN_ADDR", "127.0.0.1:1"},
                 {"CORSD_TOKEN_FILE", token_file_}};
  auto result = corsd::testing::RunProcess(
      {CORSCTL_BINARY, "stats", "--timeout-ms", "500"}, options);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->exit_code, 1);
  EXPECT_HAS(result->err, "127.0.0.1:1");
}

}  // namespace
}  // namespace corsd::corsctl
