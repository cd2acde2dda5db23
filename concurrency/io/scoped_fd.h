// -----------------------------------------------------------------------------
// File: scoped_fd.h
// -----------------------------------------------------------------------------
//
// ScopedFd owns one POSIX file descriptor and closes it when it goes out of
// scope. It is the repository's one owned-fd type: a class that holds a file,
// socket, pipe, epoll or eventfd descriptor holds a ScopedFd, never an `int`,
// so no error path can leak or double-close a descriptor.
//
// ScopedFd is move-only. A moved-from ScopedFd is empty (`valid()` is false).
// Functions that only use a descriptor borrow it as `int` (`fd.get()`); the
// borrow must not outlive the owner.
//
// Errors of close() are ignored by the destructor (the descriptor is released
// either way, as POSIX leaves it); a caller that must know whether buffered
// data reached the file calls `Close()`, which returns the error as a status.
//
// Thread-compatible: one thread at a time may call non-const methods.
#ifndef CONCURRENCY_IO_SCOPED_FD_H_
#define CONCURRENCY_IO_SCOPED_FD_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace concurrency::io {

class ScopedFd {
 public:
  ScopedFd() = default;
  // Takes ownership of `fd`; a negative value makes an empty ScopedFd.
  explicit ScopedFd(int fd) : fd_(fd < 0 ? -1 : fd) {}

  ScopedFd(ScopedFd&& other) noexcept : fd_(other.Release()) {}
  ScopedFd& operator=(ScopedFd&& other) noexcept {
    if (this != &other) Reset(other.Release());
    return *this;
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;

  ~ScopedFd() { Reset(); }

  // Returns the descriptor, or -1 when empty. Ownership stays here.
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }

  // Gives up ownership without closing; returns the descriptor (or -1).
  int Release() { return std::exchange(fd_, -1); }

  // Closes the current descriptor (if any), then owns `fd`.
  void Reset(int fd = -1);

  // Closes the descriptor now and reports close()'s error, naming `context`.
  // Empty afterwards, whatever the outcome.
  absl::Status Close(absl::string_view context);

 private:
  int fd_ = -1;
};

}  // namespace concurrency::io

#endif  // CONCURRENCY_IO_SCOPED_FD_H_
