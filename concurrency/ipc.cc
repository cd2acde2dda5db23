#include "concurrency/ipc.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"

namespace concurrency {
namespace {

absl::Status ErrnoError(absl::string_view what, int error) {
  return absl::Status(absl::ErrnoToStatusCode(error),
                      absl::StrCat(what, ": ", strerror(error)));
}

// Writes all of `data` (send() with MSG_NOSIGNAL: a closed peer is an error,
// not a SIGPIPE).
absl::Status SendAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && errno == EPIPE) {
      return absl::FailedPreconditionError(
          absl::StrCat("pipe fd ", fd, ": the other end is closed"));
    }
    if (n < 0) {
      return ErrnoError(absl::StrCat("pipe fd ", fd, ": send"), errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

// Reads exactly `size` bytes into `out`. Returns the number read before end of
// stream (less than `size` only at EOF), or an error.
absl::StatusOr<size_t> RecvAll(int fd, char* out, size_t size) {
  size_t got = 0;
  while (got < size) {
    ssize_t n = recv(fd, out + got, size - got, 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return ErrnoError(absl::StrCat("pipe fd ", fd, ": recv"), errno);
    }
    if (n == 0) {
      break;
    }
    got += static_cast<size_t>(n);
  }
  return got;
}

void CloseFd(int& fd) {
  if (fd >= 0) {
    close(fd);
    fd = -1;
  }
}

}  // namespace

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void Connection::Close() { CloseFd(fd_); }

absl::Status Connection::SendBytes(absl::string_view message) {
  if (message.size() > kMaxMessageBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("pipe: message of ", message.size(), " bytes exceeds ",
                     kMaxMessageBytes));
  }
  // Length prefix, little-endian on every host we build for (x86-64, arm64).
  const uint32_t size = static_cast<uint32_t>(message.size());
  char header[4];
  std::memcpy(header, &size, sizeof(header));
  if (absl::Status s = SendAll(fd_, absl::string_view(header, 4)); !s.ok()) {
    return s;
  }
  return SendAll(fd_, message);
}

absl::StatusOr<std::string> Connection::RecvBytes() {
  char header[4];
  absl::StatusOr<size_t> got = RecvAll(fd_, header, sizeof(header));
  if (!got.ok()) {
    return got.status();
  }
  if (*got == 0) {
    return absl::OutOfRangeError(
        absl::StrCat("pipe fd ", fd_, ": the other end closed"));
  }
  if (*got < sizeof(header)) {
    return absl::DataLossError(absl::StrCat(
        "pipe fd ", fd_, ": stream ended inside a message's length"));
  }
  uint32_t size;
  std::memcpy(&size, header, sizeof(size));
  if (size > kMaxMessageBytes) {
    return absl::DataLossError(absl::StrCat("pipe fd ", fd_,
                                            ": message length ", size,
                                            " exceeds ", kMaxMessageBytes));
  }
  std::string message(size, '\0');
  got = RecvAll(fd_, message.data(), size);
  if (!got.ok()) {
    return got.status();
  }
  if (*got < size) {
    return absl::DataLossError(absl::StrCat(
        "pipe fd ", fd_, ": message cut at ", *got, " of ", size, " bytes"));
  }
  return message;
}

absl::StatusOr<std::pair<Connection, Connection>> MakePipe() {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return ErrnoError("MakePipe: socketpair", errno);
  }
  return std::make_pair(Connection(fds[0]), Connection(fds[1]));
}

namespace ipc_internal {

absl::StatusOr<PacketChannel> PacketChannel::Create() {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
    return ErrnoError("ProcessQueue: socketpair", errno);
  }
  return PacketChannel(fds[0], fds[1]);
}

PacketChannel::~PacketChannel() {
  CloseFd(in_);
  CloseFd(out_);
}

absl::Status PacketChannel::Put(absl::string_view message) {
  if (message.size() > kMaxQueueMessageBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("ProcessQueue: message of ", message.size(),
                     " bytes exceeds ", kMaxQueueMessageBytes));
  }
  while (true) {
    ssize_t n = send(in_, message.data(), message.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      return absl::OkStatus();  // SEQPACKET: all or nothing.
    }
    if (errno != EINTR) {
      return ErrnoError("ProcessQueue: send", errno);
    }
  }
}

absl::StatusOr<std::string> PacketChannel::Get(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string buffer(kMaxQueueMessageBytes, '\0');
  while (true) {
    // Non-blocking receive: another process may take the message that poll()
    // announced, and then this one waits again.
    ssize_t n = recv(out_, buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (n >= 0) {
      buffer.resize(static_cast<size_t>(n));
      return buffer;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      return ErrnoError("ProcessQueue: recv", errno);
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(absl::StrCat(
          "ProcessQueue: nothing arrived in ", absl::FormatDuration(timeout)));
    }
    pollfd p = {out_, POLLIN, 0};
    const int ms = left == absl::InfiniteDuration()
                       ? -1
                       : static_cast<int>(std::min<int64_t>(
                             absl::ToInt64Milliseconds(left) + 1, 1 << 30));
    if (poll(&p, 1, ms) < 0 && errno != EINTR) {
      return ErrnoError("ProcessQueue: poll", errno);
    }
  }
}

}  // namespace ipc_internal
}  // namespace concurrency
