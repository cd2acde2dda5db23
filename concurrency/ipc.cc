#include "concurrency/ipc.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "concurrency/io/posix_error.h"
#include "concurrency/io/read_write.h"

namespace concurrency {
namespace {

// Sends all of `data`; a closed peer is FailedPrecondition saying so.
absl::Status SendAll(int fd, absl::string_view data) {
  absl::Status s =
      io::SendAll(fd, data, absl::StrCat("pipe fd ", fd, ": send"));
  if (absl::IsFailedPrecondition(s)) {  // EPIPE
    return absl::FailedPreconditionError(
        absl::StrCat("pipe fd ", fd, ": the other end is closed"));
  }
  return s;
}

absl::StatusOr<size_t> RecvAll(int fd, char* out, size_t size) {
  return io::ReadFull(fd, out, size, absl::StrCat("pipe fd ", fd, ": recv"));
}

}  // namespace

void PipeEnd::Close() { fd_.Reset(); }

absl::Status PipeEnd::SendBytes(absl::string_view message) {
  if (message.size() > kMaxMessageBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("pipe: message of ", message.size(), " bytes exceeds ",
                     kMaxMessageBytes));
  }
  // Length prefix, little-endian on every host we build for (x86-64, arm64).
  const uint32_t size = static_cast<uint32_t>(message.size());
  char header[4];
  std::memcpy(header, &size, sizeof(header));
  if (absl::Status s = SendAll(fd_.get(), absl::string_view(header, 4));
      !s.ok()) {
    return s;
  }
  return SendAll(fd_.get(), message);
}

absl::StatusOr<std::string> PipeEnd::RecvBytes() {
  char header[4];
  absl::StatusOr<size_t> got = RecvAll(fd_.get(), header, sizeof(header));
  if (!got.ok()) {
    return got.status();
  }
  if (*got == 0) {
    return absl::OutOfRangeError(
        absl::StrCat("pipe fd ", fd_.get(), ": the other end closed"));
  }
  if (*got < sizeof(header)) {
    return absl::DataLossError(absl::StrCat(
        "pipe fd ", fd_.get(), ": stream ended inside a message's length"));
  }
  uint32_t size;
  std::memcpy(&size, header, sizeof(size));
  if (size > kMaxMessageBytes) {
    return absl::DataLossError(absl::StrCat("pipe fd ", fd_.get(),
                                            ": message length ", size,
                                            " exceeds ", kMaxMessageBytes));
  }
  std::string message(size, '\0');
  got = RecvAll(fd_.get(), message.data(), size);
  if (!got.ok()) {
    return got.status();
  }
  if (*got < size) {
    return absl::DataLossError(absl::StrCat("pipe fd ", fd_.get(),
                                            ": message cut at ", *got, " of ",
                                            size, " bytes"));
  }
  return message;
}

absl::StatusOr<std::pair<PipeEnd, PipeEnd>> MakePipe() {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return io::PosixError("MakePipe: socketpair", errno);
  }
  return std::make_pair(PipeEnd(io::ScopedFd(fds[0])),
                        PipeEnd(io::ScopedFd(fds[1])));
}

namespace ipc_internal {

absl::StatusOr<PacketChannel> PacketChannel::Create() {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
    return io::PosixError("ProcessQueue: socketpair", errno);
  }
  return PacketChannel(io::ScopedFd(fds[0]), io::ScopedFd(fds[1]));
}

absl::Status PacketChannel::Put(absl::string_view message) {
  if (message.size() > kMaxQueueMessageBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("ProcessQueue: message of ", message.size(),
                     " bytes exceeds ", kMaxQueueMessageBytes));
  }
  while (true) {
    ssize_t n = send(in_.get(), message.data(), message.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      return absl::OkStatus();  // SEQPACKET: all or nothing.
    }
    if (errno != EINTR) {
      return io::PosixError("ProcessQueue: send", errno);
    }
  }
}

absl::StatusOr<std::string> PacketChannel::Get(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string buffer(kMaxQueueMessageBytes, '\0');
  while (true) {
    // Non-blocking receive: another process may take the message that poll()
    // announced, and then this one waits again.
    ssize_t n = recv(out_.get(), buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (n >= 0) {
      buffer.resize(static_cast<size_t>(n));
      return buffer;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      return io::PosixError("ProcessQueue: recv", errno);
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(absl::StrCat(
          "ProcessQueue: nothing arrived in ", absl::FormatDuration(timeout)));
    }
    pollfd p = {out_.get(), POLLIN, 0};
    const int ms = left == absl::InfiniteDuration()
                       ? -1
                       : static_cast<int>(std::min<int64_t>(
                             absl::ToInt64Milliseconds(left) + 1, 1 << 30));
    if (poll(&p, 1, ms) < 0 && errno != EINTR) {
      return io::PosixError("ProcessQueue: poll", errno);
    }
  }
}

}  // namespace ipc_internal
}  // namespace concurrency
