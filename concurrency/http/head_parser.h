// -----------------------------------------------------------------------------
// File: head_parser.h
// -----------------------------------------------------------------------------
//
// HeadParser cuts request heads out of a connection's byte stream, one after
// the other on a keep-alive connection, for an event loop: the caller appends
// whatever bytes arrive and asks for the next head. It does no I/O and keeps
// no clock, so a slow client costs a buffer and nothing else; the caller owns
// the deadline (`HeadLimits::head_timeout`).
//
//   HeadParser parser;
//   parser.Append(bytes_just_received);
//   std::optional<absl::StatusOr<HttpRequest>> next = parser.Next(limits);
//   if (!next.has_value()) { /* wait for more bytes */ }
//
// Memory is bounded: once `max_head_bytes` are buffered without a complete
// head, `Next` refuses (431), so a caller that appends at most a chunk at a
// time between calls holds at most `max_head_bytes` plus one chunk.
//
// Bytes after a head (a pipelined next request) stay buffered for the next
// `Next`. Errors follow request.h (`HttpStatusFor`): 400 malformed, 431 over
// a limit. After an error the stream cannot be resynchronised: close it.
//
// Thread-compatible: one parser per connection.
#ifndef CONCURRENCY_HTTP_HEAD_PARSER_H_
#define CONCURRENCY_HTTP_HEAD_PARSER_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concurrency/http/request.h"

namespace concurrency::http {

class HeadParser {
 public:
  void Append(absl::string_view bytes) { buffer_.append(bytes); }

  // The next complete head, parsed; an error (400, 431); or nullopt when
  // more bytes are needed.
  std::optional<absl::StatusOr<HttpRequest>> Next(const HeadLimits& limits);

  // Bytes received and not yet consumed by a head.
  size_t buffered() const { return buffer_.size(); }

  // Frees the buffer's memory when it is empty (an idle connection).
  void Shrink();

 private:
  std::string buffer_;
  size_t searched_ = 0;  // no terminator starts before this offset
};

}  // namespace concurrency::http

#endif  // CONCURRENCY_HTTP_HEAD_PARSER_H_
