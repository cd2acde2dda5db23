#include "classes/heap_counter.h"

#include <malloc.h>

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// From the sanitizer runtime (libasan, libtsan); gcc ships no header for it.
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#endif

namespace classes {
namespace {

std::atomic<int64_t> g_usable{0};
std::atomic<int64_t> g_blocks{0};

void* Allocate(size_t n, std::align_val_t align = std::align_val_t(0)) {
  size_t a = static_cast<size_t>(align);
  void* p = a > alignof(std::max_align_t)
                ? std::aligned_alloc(a, (n + a - 1) / a * a)
                : std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) return nullptr;
  g_usable.fetch_add(static_cast<int64_t>(malloc_usable_size(p)),
                     std::memory_order_relaxed);
  g_blocks.fetch_add(1, std::memory_order_relaxed);
  return p;
}

void Release(void* p) {
  if (p == nullptr) return;
  g_usable.fetch_sub(static_cast<int64_t>(malloc_usable_size(p)),
                     std::memory_order_relaxed);
  g_blocks.fetch_sub(1, std::memory_order_relaxed);
  std::free(p);
}

}  // namespace

HeapCounts CurrentHeap() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // A sanitizer's runtime provides operator new itself, and ours is not
  // called; its allocator keeps its own count of the bytes in use.
  return {static_cast<int64_t>(__sanitizer_get_current_allocated_bytes()), 0};
#else
  return {g_usable.load(), g_blocks.load()};
#endif
}

int64_t MallocInUse() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return -1;
#else
  struct mallinfo2 m = mallinfo2();
  // Chunks in the heap plus blocks large enough to be mmapped on their own.
  return static_cast<int64_t>(m.uordblks + m.hblkhd);
#endif
}

}  // namespace classes

void* operator new(size_t n) {
  if (void* p = classes::Allocate(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) {
  if (void* p = classes::Allocate(n)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  return classes::Allocate(n);
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  return classes::Allocate(n);
}
void* operator new(size_t n, std::align_val_t a) {
  if (void* p = classes::Allocate(n, a)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n, std::align_val_t a) {
  if (void* p = classes::Allocate(n, a)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p, size_t) noexcept { classes::Release(p); }
void operator delete[](void* p, size_t) noexcept { classes::Release(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept {
  classes::Release(p);
}
void operator delete[](void* p, size_t, std::align_val_t) noexcept {
  classes::Release(p);
}
void operator delete(void* p) noexcept { classes::Release(p); }
void operator delete[](void* p) noexcept { classes::Release(p); }
void operator delete(void* p, std::align_val_t) noexcept {
  classes::Release(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  classes::Release(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  classes::Release(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  classes::Release(p);
}
