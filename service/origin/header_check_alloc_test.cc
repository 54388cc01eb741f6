// CheckOriginHeader never allocates: counts global operator new calls made
// during the call, over accepted and refused shapes. Its own binary, since it
// replaces the global allocation functions.
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "gtest/gtest.h"
#include "service/origin/origin.h"
#include "service/testing/alloc_counter.h"

namespace corsd::origin {
namespace {

TEST(HeaderCheckAllocTest, NeverAllocates) {
  const std::string long_value =
      "https://" + std::string(kMaxOriginBytes, 'a') + ".com";
  const std::string inputs[] = {"https://shop.customer-name.com",
                                "http://a.com:8080",
                                "http://1.2.3.4",
                                "http://[2001:db8::1]:8080",
                                "http://[0:0::1]",
                                "http://127.1",
                                "HTTPS://A.COM",
                                "https://a.com/x",
                                "file://x",
                                "null",
                                "",
                                long_value,
                                "https://a.com:99999",
                                "https://bücher.de",
                                "http://[zz]"};
  for (const std::string& input : inputs) {
    OriginParts parts;
    const long before = static_cast<long>(corsd::testing::AllocationCount());
    const HeaderCheck check = CheckOriginHeader(input, &parts);
    const long after = static_cast<long>(corsd::testing::AllocationCount());
    EXPECT_EQ(after - before, 0)
        << input.substr(0, 40) << " (" << HeaderCheckName(check) << ")";
  }
}

TEST(HeaderCheckAllocTest, CounterWorks) {
  const long before = static_cast<long>(corsd::testing::AllocationCount());
  // A direct call: unlike a new-expression it may not be elided.
  void* p = ::operator new(64);
  ::operator delete(p);
  EXPECT_EQ(static_cast<long>(corsd::testing::AllocationCount()) - before, 1);
}

}  // namespace
}  // namespace corsd::origin
