#include "concurrency/io/read_write.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "concurrency/io/posix_error.h"

namespace concurrency::io {
namespace {

constexpr size_t kReadChunk = 64 << 10;

// Calls `op(p, left)` until `data` is all out; `op` is write() or send().
template <typename Op>
absl::Status WriteLoop(absl::string_view data, absl::string_view context,
                       size_t* done, Op op) {
  size_t written = 0;
  absl::Status status;
  while (written < data.size()) {
    ssize_t n = op(data.data() + written, data.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      status =
          errno == EAGAIN || errno == EWOULDBLOCK
              ? absl::UnavailableError(absl::StrCat(context, ": would block"))
              : PosixError(context, errno);
      break;
    }
    written += static_cast<size_t>(n);
  }
  if (done != nullptr) *done = written;
  return status;
}

}  // namespace

absl::StatusOr<std::string> ReadAll(int fd, absl::string_view context,
                                    size_t max_bytes) {
  std::string out;
  while (true) {
    size_t old = out.size();
    out.resize(old + kReadChunk);
    ssize_t n = ::read(fd, out.data() + old, kReadChunk);
    if (n < 0) {
      if (errno == EINTR) {
        out.resize(old);
        continue;
      }
      return PosixError(context, errno);
    }
    out.resize(old + static_cast<size_t>(n));
    if (n == 0) return out;
    if (out.size() > max_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat(context, ": more than ", max_bytes, " bytes"));
    }
  }
}

absl::Status WriteAll(int fd, absl::string_view data,
                      absl::string_view context) {
  return WriteLoop(data, context, nullptr,
                   [fd](const char* p, size_t n) { return ::write(fd, p, n); });
}

absl::Status SendAll(int fd, absl::string_view data, absl::string_view context,
                     size_t* sent) {
  return WriteLoop(data, context, sent, [fd](const char* p, size_t n) {
    return ::send(fd, p, n, MSG_NOSIGNAL);
  });
}

}  // namespace concurrency::io
