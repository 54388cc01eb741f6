#include "service/testing/alloc_counter.h"

#include <atomic>
#include <cstdlib>
#include <new>

namespace corsd::testing {
namespace {
// Relaxed: a plain event count; readers only compare two readings.
std::atomic<uint64_t> g_allocations{0};
// Plain: read and written only by its own thread.
thread_local uint64_t t_allocations = 0;

void* CountedAlloc(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  ++t_allocations;
  return std::malloc(size == 0 ? 1 : size);
}
}  // namespace

uint64_t AllocationCount() {
  return g_allocations.load(std::memory_order_relaxed);
}

uint64_t ThreadAllocationCount() { return t_allocations; }

}  // namespace corsd::testing

// All out of line, so GCC does not see free() applied to operator new's
// result (-Wmismatched-new-delete): they are a matching malloc/free pair.
__attribute__((noinline)) void* operator new(std::size_t size) {
  if (void* p = corsd::testing::CountedAlloc(size)) return p;
  throw std::bad_alloc();
}
__attribute__((noinline)) void* operator new[](std::size_t size) {
  if (void* p = corsd::testing::CountedAlloc(size)) return p;
  throw std::bad_alloc();
}
__attribute__((noinline)) void* operator new(std::size_t size,
                                             const std::nothrow_t&) noexcept {
  return corsd::testing::CountedAlloc(size);
}
__attribute__((noinline)) void* operator new[](std::size_t size,
                                               const std::nothrow_t&) noexcept {
  return corsd::testing::CountedAlloc(size);
}
__attribute__((noinline)) void operator delete(void* p) noexcept {
  std::free(p);
}
__attribute__((noinline)) void operator delete[](void* p) noexcept {
  std::free(p);
}
__attribute__((noinline)) void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
__attribute__((noinline)) void operator delete[](void* p,
                                                 std::size_t) noexcept {
  std::free(p);
}
