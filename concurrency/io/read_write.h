// -----------------------------------------------------------------------------
// File: read_write.h
// -----------------------------------------------------------------------------
//
// ReadAll, WriteAll and SendAll: the one place where a descriptor is read to
// its end or written in full. Each retries on EINTR and carries on after a
// partial write, so callers never write that loop again.
//
// The descriptor is borrowed: these functions never close it. Errors are
// PosixError statuses naming `context` (a path, or "send to client 7").
//
// SendAll is for sockets: it passes MSG_NOSIGNAL, so a peer that has gone
// away gives an EPIPE status instead of killing the process with SIGPIPE. On a
// non-blocking socket it returns Unavailable when the socket would block, with
// `*sent` (if given) saying how many bytes went out first.
#ifndef CONCURRENCY_IO_READ_WRITE_H_
#define CONCURRENCY_IO_READ_WRITE_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace concurrency::io {

// Reads from `fd` until end of file. Fails with the read's error, or with
// ResourceExhausted when more than `max_bytes` arrive.
absl::StatusOr<std::string> ReadAll(int fd, absl::string_view context,
                                    size_t max_bytes = SIZE_MAX);

// Reads exactly `size` bytes into `out`, unless the stream ends first.
// Returns how many were read (fewer than `size` only at end of stream).
absl::StatusOr<size_t> ReadFull(int fd, char* out, size_t size,
                                absl::string_view context);

// Writes every byte of `data` to `fd` (a file or pipe).
absl::Status WriteAll(int fd, absl::string_view data,
                      absl::string_view context);

// Sends every byte of `data` on the socket `fd`, without SIGPIPE.
absl::Status SendAll(int fd, absl::string_view data, absl::string_view context,
                     size_t* sent = nullptr);

// Sends every byte of the concatenation of `pieces` (gathered: one sendmsg
// per attempt, no copy), without SIGPIPE.
absl::Status SendAll(int fd, absl::Span<const absl::string_view> pieces,
                     absl::string_view context);

// One non-blocking attempt for an event loop: sends what the socket takes now
// of the concatenation of `pieces`, starting `offset` bytes in. Returns the
// bytes sent (0 when the socket is full); errors are PosixError statuses.
absl::StatusOr<size_t> SendSome(int fd,
                                absl::Span<const absl::string_view> pieces,
                                size_t offset, absl::string_view context);

// Makes `fd` blocking or non-blocking (O_NONBLOCK), e.g. a socket an event
// loop handed to a thread of its own.
absl::Status SetBlocking(int fd, bool blocking, absl::string_view context);

}  // namespace concurrency::io

#endif  // CONCURRENCY_IO_READ_WRITE_H_
