// HeapCounter: what this process's `operator new` has handed out, for
// measuring memory per instance instead of guessing it from `sizeof`.
//
// Linking the `:heap_counter` library replaces the global operator new and
// delete (every form) with versions that keep two counters: bytes requested
// and bytes the allocator actually reserved for them (`malloc_usable_size`),
// both net of frees. Only binaries and tests that measure memory link it.
//
// Thread-safe (relaxed atomics). The counts cover operator new only, not
// direct malloc calls. Under ASan or TSan, whose runtimes supply operator new
// themselves, CurrentHeap() reports the sanitizer allocator's own count of
// bytes in use (requested sizes; no block count).
#ifndef CLASSES_HEAP_COUNTER_H_
#define CLASSES_HEAP_COUNTER_H_

#include <cstdint>

namespace classes {

struct HeapCounts {
  int64_t usable = 0;  // bytes the allocator reserved, in use
  int64_t blocks = 0;  // allocations in use
};

HeapCounts CurrentHeap();

// Bytes in use according to glibc's own statistics (mallinfo2: chunk headers
// and alignment included), or -1 where unavailable (under a sanitizer).
int64_t MallocInUse();

}  // namespace classes

#endif  // CLASSES_HEAP_COUNTER_H_
