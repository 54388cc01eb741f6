// `corsctl canon` on fixed inputs: the function, and the real binary as a
// process (arguments, stdin, --json, exit codes).
#include "client/corsctl/canon.h"

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "client/testing/subprocess.h"
#include "gtest/gtest.h"

namespace corsd::corsctl {
namespace {

struct CanonCase {
  const char* input;
  const char* output;  // exact line, or "error: " prefix when error
};

const CanonCase kCases[] = {
    {"https://example.com", "https://example.com"},
    {"HTTPS://Example.COM:443/path?q#f", "https://example.com"},
    {"http://example.com:80", "http://example.com"},
    {"https://example.com:8443", "https://example.com:8443"},
    {"https://bücher.de", "https://xn--bcher-kva.de"},
    {"https://faß.de", "https://xn--fa-hia.de"},
    {"http://127.1", "http://127.0.0.1"},
    {"http://0x7f.1:8080", "http://127.0.0.1:8080"},
    {"http://[0:0::1]:8080", "http://[::1]:8080"},
    {"https://app.example.com@evil.com", "https://evil.com"},
    {"  https://example.com.  ", "https://example.com."},
    {"file:///etc/passwd", "null"},
    {"data:text/plain,hi", "null"},
    {"https://example.com:99999", "error: "},
    {"https://ex ample.com", "error: "},
    {"not a url", "error: "},
    {"", "error: "},
};

TEST(CanonLineTest, FixedInputs) {
  for (const CanonCase& c : kCases) {
    std::string line = CanonLine(c.input);
    if (std::string(c.output) == "error: ") {
      EXPECT_EQ(line.rfind("error: ", 0), 0u) << c.input << " -> " << line;
      EXPECT_GT(line.size(), 7u) << "error without a reason for " << c.input;
    } else {
      EXPECT_EQ(line, c.output) << c.input;
    }
    EXPECT_EQ(line.find('\n'), std::string::npos) << c.input;
  }
}

TEST(CanonLineTest, JsonLine) {
  EXPECT_EQ(CanonJsonLine("HTTPS://A.com"),
            R"({"input":"HTTPS://A.com","origin":"https://a.com"})");
  std::string error = CanonJsonLine("https://a.com:99999");
  EXPECT_EQ(error.rfind(R"({"input":"https://a.com:99999","error":")", 0), 0u)
      << error;
}

#ifdef CORSCTL_BINARY
testing::ProcessOptions WithStdin(std::string data) {
  testing::ProcessOptions options;
  options.stdin_data = std::move(data);
  return options;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  EXPECT_FALSE(lines.empty());
  EXPECT_EQ(lines.back(), "") << "output must end with a newline";
  lines.pop_back();
  return lines;
}

TEST(CanonProcessTest, ArgumentsOneLineEachInOrder) {
  std::vector<std::string> argv = {CORSCTL_BINARY, "canon"};
  for (const CanonCase& c : kCases) {
    if (*c.input != '\0') argv.push_back(c.input);  // "" is a stdin case
  }
  auto result = testing::RunProcess(argv);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0) << result->err;
  std::vector<std::string> lines = Lines(result->out);
  ASSERT_EQ(lines.size(), argv.size() - 2);
  for (size_t i = 2; i < argv.size(); ++i) {
    EXPECT_EQ(lines[i - 2], CanonLine(argv[i])) << argv[i];
  }
}

TEST(CanonProcessTest, StdinLinesIncludingEmptyAndCrlf) {
  auto result = testing::RunProcess(
      {CORSCTL_BINARY, "canon"},
      WithStdin("HTTPS://A.COM\r\n\nfile:///x\nhttp://b.com:80"));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0) << result->err;
  std::vector<std::string> lines = Lines(result->out);
  ASSERT_EQ(lines.size(), 4u) << result->out;
  EXPECT_EQ(lines[0], "https://a.com");
  EXPECT_EQ(lines[1].rfind("error: ", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2], "null");
  EXPECT_EQ(lines[3], "http://b.com");
}

TEST(CanonProcessTest, OverlongLineIsOneErrorLine) {
  std::string data =
      "https://a.com\n" + std::string(100000, 'x') + "\nhttps://b.com\n";
  auto result = testing::RunProcess({CORSCTL_BINARY, "canon"}, WithStdin(data));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0);
  std::vector<std::string> lines = Lines(result->out);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1], "error: input longer than 65536 bytes");
  EXPECT_EQ(lines[2], "https://b.com");
}

TEST(CanonProcessTest, JsonAndHelpAndUsage) {
  auto json = testing::RunProcess(
      {CORSCTL_BINARY, "canon", "--json", "HTTP://X.com:80"});
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(json->exit_code, 0);
  EXPECT_EQ(json->out,
            "{\"input\":\"HTTP://X.com:80\",\"origin\":\"http://x.com\"}\n");

  auto help = testing::RunProcess({CORSCTL_BINARY, "canon", "--help"});
  ASSERT_TRUE(help.ok()) << help.status();
  EXPECT_EQ(help->exit_code, 0);
  EXPECT_NE(help->out.find("exactly one line per input"), std::string::npos);
  EXPECT_NE(help->out.find("error: <reason>"), std::string::npos);

  auto usage = testing::RunProcess({CORSCTL_BINARY, "canon", "--bogus"});
  ASSERT_TRUE(usage.ok()) << usage.status();
  EXPECT_EQ(usage->exit_code, 2);
  EXPECT_NE(usage->err.find("unknown flag --bogus"), std::string::npos);

  auto unknown = testing::RunProcess({CORSCTL_BINARY, "frobnicate"});
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_EQ(unknown->exit_code, 2);

  auto main_help = testing::RunProcess({CORSCTL_BINARY, "--help"});
  ASSERT_TRUE(main_help.ok()) << main_help.status();
  EXPECT_EQ(main_help->exit_code, 0);
  EXPECT_NE(main_help->out.find("Exit status:"), std::string::npos);
}
#endif  // CORSCTL_BINARY

}  // namespace
}  // namespace corsd::corsctl
