// CheckOriginHeader never allocates: counts global operator new calls made
// during the call, over accepted and refused shapes. Its own binary, since it
// replaces the global allocation functions.
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "gtest/gtest.h"
#include "service/origin/origin.h"

namespace {
// Relaxed: read on the same thread that allocates.
std::atomic<long> g_allocations{0};
}  // namespace

__attribute__((noinline)) void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
// All out of line, so GCC does not see free() applied to operator new's result
// (-Wmismatched-new-delete): they are a matching malloc/free pair here.
__attribute__((noinline)) void operator delete(void* p) noexcept {
  std::free(p);
}
__attribute__((noinline)) void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

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
    const long before = g_allocations.load(std::memory_order_relaxed);
    const HeaderCheck check = CheckOriginHeader(input, &parts);
    const long after = g_allocations.load(std::memory_order_relaxed);
    EXPECT_EQ(after - before, 0)
        << input.substr(0, 40) << " (" << HeaderCheckName(check) << ")";
  }
}

TEST(HeaderCheckAllocTest, CounterWorks) {
  const long before = g_allocations.load(std::memory_order_relaxed);
  // A direct call: unlike a new-expression it may not be elided.
  void* p = ::operator new(64);
  ::operator delete(p);
  EXPECT_EQ(g_allocations.load(std::memory_order_relaxed) - before, 1);
}

}  // namespace
}  // namespace corsd::origin
