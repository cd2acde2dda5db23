// -----------------------------------------------------------------------------
// File: response.h
// -----------------------------------------------------------------------------
//
// HttpResponse and the one response writer and reason table of the
// repository: every response of every server of the tree, streams included,
// has its head written by `SerializeResponseHead`. A response with a body
// always sends Content-Length (so a client can tell a whole body from a cut
// one) and says whether the connection stays open. A streamed response
// (`stream` set) has no Content-Length, unless its handler declares one in
// `headers`, and always closes the connection when the stream ends.
//
// Thread-safe: the functions keep no state.
#ifndef CONCURRENCY_HTTP_RESPONSE_H_
#define CONCURRENCY_HTTP_RESPONSE_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "concurrency/io/scoped_fd.h"

namespace concurrency::http {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  // Further headers, in order. Content-Length and Connection are the
  // writer's; do not set them here.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // A streamed body (multipart, say), for HttpServer: once the head is sent,
  // `stream` gets the socket, non-blocking, on the server's event-loop
  // thread, and owns it from then on. It must return at once: it hands the
  // socket to a thread or loop of its own. If the head cannot be sent (the
  // client went away, the server stops), `stream` is destroyed uncalled.
  // `body` must be empty. With `status` 0 no head is sent at all: `stream`
  // gets the socket at once and writes the whole response itself (a test's
  // scripted server that must control every byte, or drop the connection
  // unanswered).
  std::function<void(io::ScopedFd socket)> stream;
};

// A response of `status` whose body is `text` and a newline.
HttpResponse TextResponse(int status, absl::string_view text);

// The standard reason phrase of `status` ("OK", "Not Found"...), or
// "Unknown".
absl::string_view HttpReason(int status);

// What the response's Connection header says.
enum class ConnectionHeader { kKeepAlive, kClose };

// The response's bytes: status line, headers, Content-Length (not for a
// stream), Connection (always close for a stream), blank line, body.
std::string SerializeResponse(const HttpResponse& response,
                              ConnectionHeader connection);

// Only the head (what SerializeResponse writes before the body).
std::string SerializeResponseHead(const HttpResponse& response,
                                  ConnectionHeader connection);

}  // namespace concurrency::http

#endif  // CONCURRENCY_HTTP_RESPONSE_H_
