// -----------------------------------------------------------------------------
// File: ipc.h
// -----------------------------------------------------------------------------
//
// Messages between processes: the counterparts of Python's
// `multiprocessing.Pipe()` and `multiprocessing.Queue()`.
//
// `MakePipe()` returns the two ends of a duplex channel (a Unix stream socket
// pair); each message travels as a 4-byte length followed by its bytes, so any
// size up to `kMaxMessageBytes` arrives whole. One writer and one reader per
// end.
//
// `ProcessQueue<T>` is a queue that many processes put into and get from (a
// Unix SOCK_SEQPACKET socket pair): the kernel keeps each message whole and
// never interleaves two, whatever the number of writers and readers, so no
// lock is needed across processes. A message is at most
// `kMaxQueueMessageBytes`.
//
// Both must be created before `fork()`: the child inherits the descriptors.
//
// Serialization (`Codec<T>`): raw bytes. Both ends are the same program (the
// child is a fork of the parent), so a trivially copyable value's in-memory
// layout is the same on both sides and copying it is exact and free; strings
// and vectors of trivially copyable values are their bytes. Messages between
// different programs would need a real format (protocol buffers); these are
// not meant for that.
//
// Errors: a closed peer is `OutOfRange` on receive (clean end of stream) and
// `FailedPrecondition` on send (never SIGPIPE); a message cut short is
// `DataLoss`; a message too large is `InvalidArgument`.
//
// Thread-compatible: one thread at a time per end (per object).

#ifndef CONCURRENCY_IPC_H_
#define CONCURRENCY_IPC_H_

#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "concurrency/io/scoped_fd.h"

namespace concurrency {

inline constexpr size_t kMaxMessageBytes = size_t{1} << 30;
inline constexpr size_t kMaxQueueMessageBytes = size_t{64} << 10;

// Codec<T>::Encode(value) -> std::string and Codec<T>::Decode(bytes) ->
// absl::StatusOr<T>, for trivially copyable T, std::string, and
// std::vector<trivially copyable>.
template <typename T>
struct Codec;

template <typename T>
requires std::is_trivially_copyable_v<T>
struct Codec<T> {
  static std::string Encode(const T& value) {
    return std::string(reinterpret_cast<const char*>(&value), sizeof(T));
  }
  static absl::StatusOr<T> Decode(absl::string_view bytes) {
    if (bytes.size() != sizeof(T)) {
      return absl::DataLossError(absl::StrCat("Codec: expected ", sizeof(T),
                                              " bytes, got ", bytes.size()));
    }
    T value;
    std::memcpy(&value, bytes.data(), sizeof(T));
    return value;
  }
};

template <>
struct Codec<std::string> {
  static std::string Encode(const std::string& value) { return value; }
  static absl::StatusOr<std::string> Decode(absl::string_view bytes) {
    return std::string(bytes);
  }
};

template <typename T>
requires std::is_trivially_copyable_v<T>
struct Codec<std::vector<T>> {
  static std::string Encode(const std::vector<T>& values) {
    return std::string(reinterpret_cast<const char*>(values.data()),
                       values.size() * sizeof(T));
  }
  static absl::StatusOr<std::vector<T>> Decode(absl::string_view bytes) {
    if (bytes.size() % sizeof(T) != 0) {
      return absl::DataLossError(absl::StrCat(
          "Codec: ", bytes.size(), " bytes is not a whole number of ",
          sizeof(T), "-byte elements"));
    }
    std::vector<T> values(bytes.size() / sizeof(T));
    if (!bytes.empty()) {
      std::memcpy(values.data(), bytes.data(), bytes.size());
    }
    return values;
  }
};

// One end of a duplex pipe (what Python's multiprocessing calls a
// Connection). Owns its descriptor; move-only.
class PipeEnd {
 public:
  explicit PipeEnd(io::ScopedFd fd) : fd_(std::move(fd)) {}
  PipeEnd(PipeEnd&& other) noexcept = default;
  PipeEnd& operator=(PipeEnd&& other) noexcept = default;
  PipeEnd(const PipeEnd&) = delete;
  PipeEnd& operator=(const PipeEnd&) = delete;
  ~PipeEnd() { Close(); }

  // Sends one message; blocks while the pipe is full.
  absl::Status SendBytes(absl::string_view message);

  // Receives one whole message; blocks until it has arrived. `OutOfRange` when
  // the peer closed its end between messages, `DataLoss` if within one.
  absl::StatusOr<std::string> RecvBytes();

  template <typename T>
  absl::Status Send(const T& value) {
    return SendBytes(Codec<T>::Encode(value));
  }
  template <typename T>
  absl::StatusOr<T> Recv() {
    absl::StatusOr<std::string> bytes = RecvBytes();
    if (!bytes.ok()) {
      return bytes.status();
    }
    return Codec<T>::Decode(*bytes);
  }

  // Closes this end; the peer's RecvBytes then reports the end of the stream.
  void Close();
  int fd() const { return fd_.get(); }

 private:
  io::ScopedFd fd_;
};

// Returns the two ends of a new duplex pipe (Python's `Pipe()`).
absl::StatusOr<std::pair<PipeEnd, PipeEnd>> MakePipe();

namespace ipc_internal {

// A SOCK_SEQPACKET socket pair: messages go in at one end, out at the other.
class PacketChannel {
 public:
  static absl::StatusOr<PacketChannel> Create();
  PacketChannel(PacketChannel&& other) noexcept = default;
  PacketChannel(const PacketChannel&) = delete;
  PacketChannel& operator=(const PacketChannel&) = delete;

  absl::Status Put(absl::string_view message);
  absl::StatusOr<std::string> Get(absl::Duration timeout);

 private:
  PacketChannel(io::ScopedFd in, io::ScopedFd out)
      : in_(std::move(in)), out_(std::move(out)) {}
  io::ScopedFd in_;
  io::ScopedFd out_;
};

}  // namespace ipc_internal

// A queue shared by the processes forked after its creation (Python's
// `multiprocessing.Queue`). Not movable: children refer to it by address.
template <typename T>
class ProcessQueue {
 public:
  // Returns a new queue, or the error of socketpair().
  static absl::StatusOr<std::unique_ptr<ProcessQueue>> Create() {
    absl::StatusOr<ipc_internal::PacketChannel> channel =
        ipc_internal::PacketChannel::Create();
    if (!channel.ok()) {
      return channel.status();
    }
    return std::unique_ptr<ProcessQueue>(new ProcessQueue(*std::move(channel)));
  }

  // Appends `value`; blocks while the queue is full.
  absl::Status Put(const T& value) {
    return channel_.Put(Codec<T>::Encode(value));
  }

  // Removes the oldest message, waiting at most `timeout` (forever by
  // default); `DeadlineExceeded` if none came.
  absl::StatusOr<T> Get(absl::Duration timeout = absl::InfiniteDuration()) {
    absl::StatusOr<std::string> bytes = channel_.Get(timeout);
    if (!bytes.ok()) {
      return bytes.status();
    }
    return Codec<T>::Decode(*bytes);
  }

 private:
  explicit ProcessQueue(ipc_internal::PacketChannel channel)
      : channel_(std::move(channel)) {}
  ipc_internal::PacketChannel channel_;
};

}  // namespace concurrency

#endif  // CONCURRENCY_IPC_H_
