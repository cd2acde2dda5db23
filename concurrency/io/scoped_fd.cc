#include "concurrency/io/scoped_fd.h"

#include <unistd.h>

#include <cerrno>

#include "concurrency/io/posix_error.h"

namespace concurrency::io {

void ScopedFd::Reset(int fd) {
  int old = std::exchange(fd_, fd < 0 ? -1 : fd);
  // close() releases the descriptor even when it fails (Linux never
  // retries on EINTR), so its result tells nothing worth acting on here.
  if (old >= 0) ::close(old);
}

absl::Status ScopedFd::Close(absl::string_view context) {
  int old = Release();
  if (old < 0) return absl::OkStatus();
  if (::close(old) != 0) return PosixError(context, errno);
  return absl::OkStatus();
}

}  // namespace concurrency::io
