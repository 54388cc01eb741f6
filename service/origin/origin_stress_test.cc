// Thread safety of the canonicalizer: many threads run both entry points at
// once (the shared ICU UTS 46 object included, first use racing too) and
// must all get the single-threaded answers. Label "stress": CI runs it
// under ThreadSanitizer.
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "service/origin/origin.h"

namespace corsd::origin {
namespace {

TEST(OriginStressTest, ConcurrentCallsAgreeWithSequentialOnes) {
  const std::vector<std::string> inputs = {
      "https://bücher.de",
      "https://faß.de:8443",
      "HTTP://Shop.Example.com",
      "http://0x7f.1",
      "http://[0:0::1]:8080",
      "blob:https://a.com/x",
      "https://ẞ.com",
      "https://a b.com",
      "https://xn--a.ß",
      "https://\xE2\x80\x8D.example",
      "https://نامه\xE2\x80\x8Cای.com",
      "wss://*.example.com",
  };
  constexpr int kThreads = 8;
  constexpr int kRounds = 300;
  // Threads start before any sequential call, so ICU's first use races.
  std::vector<std::vector<std::string>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&inputs, &seen, t] {
      for (int round = 0; round < kRounds; ++round) {
        for (const std::string& input : inputs) {
          absl::StatusOr<std::string> got = CanonicalizeOrigin(input);
          OriginParts parts;
          const HeaderCheck check =
              CheckOriginHeader(got.ok() ? *got : input, &parts);
          if (round == kRounds - 1) {
            seen[t].push_back(
                (got.ok() ? *got : "error: " + got.status().ToString()) + " " +
                std::string(HeaderCheckName(check)));
          }
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::vector<std::string> expected;
  for (const std::string& input : inputs) {
    absl::StatusOr<std::string> got = CanonicalizeOrigin(input);
    OriginParts parts;
    const HeaderCheck check =
        CheckOriginHeader(got.ok() ? *got : input, &parts);
    expected.push_back((got.ok() ? *got : "error: " + got.status().ToString()) +
                       " " + std::string(HeaderCheckName(check)));
  }
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(seen[t], expected) << t;
}

}  // namespace
}  // namespace corsd::origin
