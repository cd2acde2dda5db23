// -----------------------------------------------------------------------------
// File: head_reader.h
// -----------------------------------------------------------------------------
//
// HeadReader reads HTTP request heads from a connected socket, one after the
// other on a keep-alive connection, within `HeadLimits`: a slow or hostile
// client costs bounded memory (`max_head_bytes`) and bounded time (the
// deadline), never a thread forever.
//
// Bytes that arrive after a head (a pipelined next request) are kept for the
// next `Read`. Errors follow request.h (`HttpStatusFor` maps them): 400
// malformed, 431 over a limit, 408 DeadlineExceeded when the head is not
// complete by the deadline, and Unavailable (answer nothing) when the client
// closes first or the socket fails.
//
// The socket is borrowed. Thread-compatible: one reader per connection.
#ifndef CONCURRENCY_HTTP_HEAD_READER_H_
#define CONCURRENCY_HTTP_HEAD_READER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "concurrency/http/request.h"

namespace concurrency::http {

class HeadReader {
 public:
  explicit HeadReader(int fd) : fd_(fd) {}

  // Reads the next request head, waiting at most until `deadline`.
  absl::StatusOr<HttpRequest> Read(const HeadLimits& limits,
                                   absl::Time deadline);

  // Whether bytes of a next request are already buffered.
  bool has_buffered() const { return !buffer_.empty(); }

 private:
  // Waits for and appends what the socket has; false with `*error` set when
  // the client went away or the deadline passed.
  bool Fill(absl::Time deadline, absl::Status* error);

  const int fd_;
  std::string buffer_;
};

}  // namespace concurrency::http

#endif  // CONCURRENCY_HTTP_HEAD_READER_H_
