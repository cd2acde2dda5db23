// KeepFreedMemory: a binary's allocator policy, for programs that free and
// allocate the same large buffers many times a second (the pipeline's pages,
// the streamer's frames). Call it first thing in `main`; libraries never do.
//
// glibc gives memory back to the kernel eagerly: a free block over 128 KiB
// (the mmap threshold, which it then raises as it sees such blocks) is
// unmapped, and a heap whose top grows past the trim threshold is trimmed
// with madvise. A program that then allocates the same sizes again pays a
// page fault for every 4 KiB of them. After KeepFreedMemory, blocks under
// `mmap_threshold` come from the heap and up to `trim_threshold` of freed
// memory per heap stays in the process, to be reused: the process holds at
// most what it held at its peak, never more.
//
// Measured: the pipeline, 10,000 pages at --batch=2, 39,000 page faults ->
// 6,000 and a quarter of its system CPU; the streamer in MJPEG passthrough at
// 1920x1080, madvise and its faults were a third of its CPU (perf).
#ifndef CONCURRENCY_KEEP_FREED_MEMORY_H_
#define CONCURRENCY_KEEP_FREED_MEMORY_H_

#include <cstddef>

namespace concurrency {

void KeepFreedMemory(size_t mmap_threshold = size_t{4} << 20,
                     size_t trim_threshold = size_t{64} << 20);

}  // namespace concurrency

#endif  // CONCURRENCY_KEEP_FREED_MEMORY_H_
