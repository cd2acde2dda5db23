#include "concurrency/http/head_reader.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "concurrency/io/posix_error.h"

namespace concurrency::http {
namespace {

constexpr size_t kRecvChunk = 4096;
constexpr absl::string_view kEndOfHead = "\r\n\r\n";

}  // namespace

absl::StatusOr<HttpRequest> HeadReader::Read(const HeadLimits& limits,
                                             absl::Time deadline) {
  size_t searched = 0;
  while (true) {
    size_t end = buffer_.find(kEndOfHead, searched);
    if (end != std::string::npos) {
      absl::StatusOr<HttpRequest> r =
          ParseRequestHead(absl::string_view(buffer_).substr(0, end), limits);
      buffer_.erase(0, end + kEndOfHead.size());
      return r;
    }
    if (buffer_.size() >= limits.max_head_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("request head over ", limits.max_head_bytes, " bytes"));
    }
    // The terminator may straddle what is there and what comes next.
    searched = buffer_.size() < 3 ? 0 : buffer_.size() - 3;
    absl::Status error;
    if (!Fill(deadline, &error)) return error;
  }
}

bool HeadReader::Fill(absl::Time deadline, absl::Status* error) {
  while (true) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      *error = absl::DeadlineExceededError("request head not complete in time");
      return false;
    }
    pollfd p{fd_, POLLIN, 0};
    int ready =
        poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (ready < 0 && errno != EINTR) {
      // Unavailable whatever the errno: nothing can be answered on it.
      *error = absl::UnavailableError(
          io::PosixError("poll on the client socket", errno).message());
      return false;
    }
    if (ready <= 0) continue;
    size_t old = buffer_.size();
    buffer_.resize(old + kRecvChunk);
    ssize_t n = recv(fd_, buffer_.data() + old, kRecvChunk, 0);
    buffer_.resize(old + (n > 0 ? static_cast<size_t>(n) : 0));
    if (n > 0) return true;
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    *error = absl::UnavailableError("client went away");
    return false;
  }
}

}  // namespace concurrency::http
