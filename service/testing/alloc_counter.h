// Counts calls to the global allocation functions, so a test or benchmark can
// prove that a path allocates nothing ("the decision path allocates
// nothing").
//
// Linking the corsd_alloc_counter library REPLACES the global operator new /
// new[] / delete / delete[] (plain, sized and nothrow forms) of the whole
// binary with counting malloc/free wrappers; link it only into test and
// benchmark binaries, never into corsd. Not for sanitizer builds, which
// replace the allocator themselves.
//
// Thread safety: AllocationCount is a relaxed atomic shared by every thread;
// callers compare two readings taken on one thread around the code they
// measure, so only allocations made in between (by any thread) are counted.
// ThreadAllocationCount is the calling thread's own count (a thread_local),
// for code measured while other threads allocate (a background writer).
#ifndef CORSD_SERVICE_TESTING_ALLOC_COUNTER_H_
#define CORSD_SERVICE_TESTING_ALLOC_COUNTER_H_

#include <cstdint>

namespace corsd::testing {

// Calls to any global operator new since the process started.
uint64_t AllocationCount();

// Calls to any global operator new made by the calling thread.
uint64_t ThreadAllocationCount();

}  // namespace corsd::testing

#endif  // CORSD_SERVICE_TESTING_ALLOC_COUNTER_H_
