#include "concurrency/keep_freed_memory.h"

#include <malloc.h>

namespace concurrency {

void KeepFreedMemory(size_t mmap_threshold, size_t trim_threshold) {
  mallopt(M_MMAP_THRESHOLD, static_cast<int>(mmap_threshold));
  mallopt(M_TRIM_THRESHOLD, static_cast<int>(trim_threshold));
}

}  // namespace concurrency
