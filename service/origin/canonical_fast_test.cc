// Differential test of the full parse's fast path (canonical_fast.h): on
// every input of WPT's urltestdata.json, toascii.json and IdnaTestV2.json
// (read from CORSD_SHARED_DIR "/testdata/wpt") and on generated inputs, in
// both modes (CanonicalizeOrigin, CanonicalizeAdminOrigin), the fast path
// either declines or gives exactly the general path's answer (same string,
// or same status code and message), and the public entry points give the
// general path's answer. Also: the fast path does answer the shapes it is
// for, and allocates at most once for a result (its own binary: it replaces
// the global allocation functions to count them).
#include "service/origin/canonical_fast.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/origin/origin.h"
#include "service/origin/testing/json_reader.h"
#include "service/testing/alloc_counter.h"

namespace corsd::origin::internal {
namespace {

using origin::testing::JsonValue;
using origin::testing::Printable;

const std::string kWptDir = std::string(CORSD_SHARED_DIR) + "/testdata/wpt";

std::string Describe(const absl::StatusOr<std::string>& r) {
  return r.ok() ? absl::StrCat("\"", Printable(*r), "\"")
                : r.status().ToString();
}

bool Same(const absl::StatusOr<std::string>& a,
          const absl::StatusOr<std::string>& b) {
  if (a.ok() != b.ok()) return false;
  return a.ok() ? *a == *b : a.status() == b.status();
}

// Counts of one differential run.
struct Tally {
  int inputs = 0;
  int fast_answers = 0;  // fast path did not decline (either mode)
  int fast_errors = 0;   // of which errors
};

// Compares the fast path, the general path and the public entry points on
// `input` in both modes; ADD_FAILUREs on any difference.
void CheckAgrees(absl::string_view input, Tally* tally) {
  ++tally->inputs;
  for (CanonicalMode mode : {CanonicalMode::kOrigin, CanonicalMode::kAdmin}) {
    const bool admin = mode == CanonicalMode::kAdmin;
    const absl::StatusOr<std::string> general =
        admin ? CanonicalizeAdminOriginGeneral(input)
              : CanonicalizeOriginGeneral(input);
    const absl::StatusOr<std::string> public_answer =
        admin ? CanonicalizeAdminOrigin(input) : CanonicalizeOrigin(input);
    if (!Same(public_answer, general)) {
      ADD_FAILURE() << (admin ? "CanonicalizeAdminOrigin"
                              : "CanonicalizeOrigin")
                    << "(\"" << Printable(input)
                    << "\") = " << Describe(public_answer) << ", general path "
                    << Describe(general);
    }
    std::optional<absl::StatusOr<std::string>> fast =
        CanonicalizeOriginFast(input, mode);
    if (!fast.has_value()) continue;
    ++tally->fast_answers;
    if (!fast->ok()) ++tally->fast_errors;
    if (!Same(*fast, general)) {
      ADD_FAILURE() << "fast path (" << (admin ? "admin" : "origin")
                    << ") on \"" << Printable(input)
                    << "\" = " << Describe(*fast) << ", general path "
                    << Describe(general);
    }
  }
}

absl::StatusOr<JsonValue> LoadWpt(absl::string_view file) {
  return origin::testing::ReadJsonFile(absl::StrCat(kWptDir, "/", file));
}

// The data is required: a missing file fails the test.
#define LOAD_WPT(var, file)                                                 \
  absl::StatusOr<JsonValue> var = LoadWpt(file);                            \
  ASSERT_TRUE(var.ok()) << var.status()                                     \
                        << " (the WPT data: ../shared/testdata beside the " \
                           "clone, see its README.md)";                     \
  ASSERT_TRUE(var->is_array())

// Each input as it is, and as a host in the shapes the fast path takes.
void CheckHostShapes(absl::string_view host, Tally* tally) {
  CheckAgrees(host, tally);
  CheckAgrees(absl::StrCat("https://", host), tally);
  CheckAgrees(absl::StrCat("https://", host, "/x"), tally);
  CheckAgrees(absl::StrCat("HTTP://", host, ":8080/"), tally);
  CheckAgrees(absl::StrCat("wss://u:p@", host, ":443?q"), tally);
}

TEST(CanonicalFastTest, AgreesOnWptUrlTestData) {
  LOAD_WPT(data, "urltestdata.json");
  Tally tally;
  for (const JsonValue& entry : data->items()) {
    if (!entry.is_object()) continue;
    const std::string& input = entry.Find("input")->string_value();
    CheckAgrees(input, &tally);
    if (const JsonValue* host = entry.Find("hostname");
        host != nullptr && host->is_string()) {
      CheckHostShapes(host->string_value(), &tally);
    }
  }
  EXPECT_GT(tally.inputs, 1000);
  EXPECT_GT(tally.fast_answers, 500);
  EXPECT_GT(tally.fast_errors, 10);
}

TEST(CanonicalFastTest, AgreesOnWptToAscii) {
  LOAD_WPT(data, "toascii.json");
  Tally tally;
  for (const JsonValue& entry : data->items()) {
    if (!entry.is_object()) continue;
    CheckHostShapes(entry.Find("input")->string_value(), &tally);
  }
  EXPECT_GT(tally.inputs, 300);
  EXPECT_GT(tally.fast_answers, 100);
}

TEST(CanonicalFastTest, AgreesOnIdnaTestV2) {
  LOAD_WPT(data, "IdnaTestV2.json");
  Tally tally;
  for (const JsonValue& entry : data->items()) {
    if (!entry.is_object()) continue;
    CheckHostShapes(entry.Find("input")->string_value(), &tally);
  }
  EXPECT_GT(tally.inputs, 10000);
  EXPECT_GT(tally.fast_answers, 5000);
}

// Every combination of a few values for each part of a URL.
TEST(CanonicalFastTest, AgreesOnGeneratedCombinations) {
  const std::vector<std::string> leads = {"", " \t\x01"};
  const std::vector<std::string> schemes = {
      "https:", "HTTP:", "Ws:",  "wss:", "ftp:", "hTtPs:",
      "file:",  "blob:", "foo:", "http", "htt:", "https1:"};
  const std::vector<std::string> slashes = {"//", "/", "/\\", "///", ""};
  const std::vector<std::string> userinfos = {"",     "u@", "u:p@", "@",
                                              "a@b@", ":@", "ü@",   "u\t@"};
  const std::vector<std::string> hosts = {"a.com",
                                          "Shop.Example.COM",
                                          "xn--bcher-kva.de",
                                          "XN--A.com",
                                          "a..b.",
                                          ".",
                                          "a_b.com",
                                          "ex ample.com",
                                          "a<b",
                                          "a^b",
                                          "a|b",
                                          "a%41.com",
                                          "%zz",
                                          "a\x7f"
                                          "b",
                                          "0x7f.1",
                                          "127.0.0.1",
                                          "127.1",
                                          "1.2.3.4.",
                                          "0X7F.0x0.0.1",
                                          "4294967295",
                                          "4294967296",
                                          "1.2.3.256",
                                          "09.1",
                                          "1.2.3.4.5",
                                          "a.0x",
                                          "a.1",
                                          "1.a",
                                          "[::1]",
                                          "[2001:DB8:0:0:0::1]",
                                          "[::ffff:1.2.3.4]",
                                          "[1:2]",
                                          "[::1",
                                          "[::1]x",
                                          "[a[b]",
                                          "a[b",
                                          "a]b",
                                          "bücher.de",
                                          "BÜCHER.de",
                                          "faß.de",
                                          "ẞ.com",
                                          "xn--a.ß",
                                          "a\xE2\x80\x8D"
                                          "b",
                                          "١.com",
                                          "ａｂｃ.com",
                                          "１２７.０.０.１",
                                          "a。b",
                                          "",
                                          "a\tb",
                                          "a\nb"};
  const std::vector<std::string> ports = {
      "",    ":",     ":80",     ":443",   ":21",    ":0",
      ":00", ":8080", ":008080", ":65535", ":65536", ":99999999999",
      ":8a", ": 1",   ":1:2"};
  const std::vector<std::string> tails = {"",    "/",  "/a/b", "?q", "#f",
                                          "\\x", "/ ", " ",    "\n", "/\t"};
  Tally tally;
  for (const std::string& lead : leads) {
    for (const std::string& scheme : schemes) {
      for (const std::string& slash : slashes) {
        for (const std::string& userinfo : userinfos) {
          for (const std::string& host : hosts) {
            for (const std::string& port : ports) {
              // Tails only on a subset: they matter little past the host.
              for (size_t t = 0; t < tails.size();
                   t += (userinfo.empty() && lead.empty()) ? 1 : 4) {
                CheckAgrees(absl::StrCat(lead, scheme, slash, userinfo, host,
                                         port, tails[t]),
                            &tally);
              }
            }
          }
        }
      }
    }
  }
  EXPECT_GT(tally.inputs, 100000);
  EXPECT_GT(tally.fast_answers, 20000);
  EXPECT_GT(tally.fast_errors, 1000);
}

// Deterministic random mutations of realistic origins: inserted, deleted and
// replaced bytes from an alphabet of the characters that matter to a URL.
TEST(CanonicalFastTest, AgreesOnMutations) {
  const std::vector<std::string> seeds = {"https://shop.customer-name.com",
                                          "HTTPS://Shop.Customer-Name.COM:443",
                                          "https://bücher.de",
                                          "http://0x7f.1:8080",
                                          "http://[2001:db8::1]:8080",
                                          "wss://u:p@a.b.c:8443/x?y#z",
                                          "ftp://1.2.3.4:21/"};
  const std::string alphabet =
      "aZ09.:/\\@[]%?# \t\x01\x7f-_xX\xC3\xBC\xE3\x80\x82";
  uint64_t state = 0x9e3779b97f4a7c15u;
  auto next = [&state]() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  Tally tally;
  for (const std::string& seed : seeds) {
    for (int round = 0; round < 20000; ++round) {
      std::string s = seed;
      const int edits = 1 + static_cast<int>(next() % 3);
      for (int e = 0; e < edits; ++e) {
        const size_t pos = next() % (s.size() + 1);
        const char c = alphabet[next() % alphabet.size()];
        switch (next() % 3) {
          case 0:
            s.insert(s.begin() + static_cast<ptrdiff_t>(pos), c);
            break;
          case 1:
            if (pos < s.size()) s.erase(pos, 1);
            break;
          default:
            if (pos < s.size()) s[pos] = c;
        }
      }
      CheckAgrees(s, &tally);
    }
  }
  EXPECT_GT(tally.fast_answers, 50000);
  EXPECT_GT(tally.fast_errors, 1000);
}

// The benchmark classes (bench/canon_bench.cc) are the fast path's.
TEST(CanonicalFastTest, AnswersTheCommonShapes) {
  const char* const kInputs[] = {
      "https://shop.customer-name.com",
      "HTTPS://Shop.Customer-Name.com:443/",
      "https://bücher.de",
      "http://0x7f.1:8080",
      "http://[2001:db8:0:0:0:ff00:42:8329]:8080",
      "https://user@shop.customer-name.com/a/b?q=1#f",
      "https://ex ample.com",
      "https://a.com:99999",
      "http://1.2.3.256"};
  for (const char* input : kInputs) {
    EXPECT_TRUE(CanonicalizeOriginFast(input, CanonicalMode::kOrigin))
        << "declined " << Printable(input);
  }
  EXPECT_TRUE(CanonicalizeOriginFast("HTTPS://Shop.Customer-Name.com:443/",
                                     CanonicalMode::kAdmin));
  EXPECT_EQ(*CanonicalizeOriginFast("HTTPS://Shop.Customer-Name.com:443/",
                                    CanonicalMode::kOrigin)
                 .value(),
            "https://shop.customer-name.com");
  EXPECT_EQ(
      *CanonicalizeOriginFast("http://0x7f.1:8080", CanonicalMode::kOrigin)
           .value(),
      "http://127.0.0.1:8080");
  // Refusals are the general path's.
  EXPECT_FALSE(
      CanonicalizeOriginFast("https://u@a.com", CanonicalMode::kAdmin));
  EXPECT_FALSE(
      CanonicalizeOriginFast("https://a.com/x", CanonicalMode::kAdmin));
  EXPECT_FALSE(
      CanonicalizeOriginFast("https://a.com:0", CanonicalMode::kAdmin));
  EXPECT_FALSE(
      CanonicalizeOriginFast("https://a%41.com", CanonicalMode::kOrigin));
}

// Allocations per call: at most one for a result (none when it fits
// std::string's inline buffer); absl::Status's own two for an error.
TEST(CanonicalFastTest, AllocatesAtMostOncePerResult) {
  struct Case {
    const char* input;
    long max_allocations;
  };
  const Case kCases[] = {
      {"https://shop.customer-name.com", 1},
      {"HTTPS://Shop.Customer-Name.com:443/", 1},
      {"http://0x7f.1:8080", 1},
      {"http://[2001:db8:0:0:0:ff00:42:8329]:8080", 1},
      {"https://user@shop.customer-name.com/a/b?q=1#f", 1},
      {"https://bücher.de", 1},  // operator new only: ICU mallocs apart
      {"http://a.b", 0},
      {"https://ex ample.com", 2},
      {"https://a.com:99999", 2},
  };
  for (const Case& c : kCases) {
    for (auto* entry : {&CanonicalizeOrigin, &CanonicalizeAdminOrigin}) {
      const long before = static_cast<long>(corsd::testing::AllocationCount());
      absl::StatusOr<std::string> result = (*entry)(c.input);
      const long used =
          static_cast<long>(corsd::testing::AllocationCount()) - before;
      if (entry == &CanonicalizeAdminOrigin &&
          std::string(c.input).find_first_of("@") != std::string::npos) {
        continue;  // refused by the general path
      }
      EXPECT_LE(used, c.max_allocations)
          << Printable(c.input) << " -> " << Describe(result);
    }
  }
}

}  // namespace
}  // namespace corsd::origin::internal
