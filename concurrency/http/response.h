// -----------------------------------------------------------------------------
// File: response.h
// -----------------------------------------------------------------------------
//
// HttpResponse and the one response writer and reason table of the
// repository. `SerializeResponse` always sends Content-Length (so a client
// can tell a whole body from a cut one) and says whether the connection stays
// open.
//
// Thread-safe: the functions keep no state.
#ifndef CONCURRENCY_HTTP_RESPONSE_H_
#define CONCURRENCY_HTTP_RESPONSE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace concurrency::http {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  // Further headers, in order. Content-Length and Connection are the
  // writer's; do not set them here.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// A response of `status` whose body is `text` and a newline.
HttpResponse TextResponse(int status, absl::string_view text);

// The standard reason phrase of `status` ("OK", "Not Found"...), or
// "Unknown".
absl::string_view HttpReason(int status);

enum class Connection { kKeepAlive, kClose };

// The response's bytes: status line, headers, Content-Length, Connection,
// blank line, body.
std::string SerializeResponse(const HttpResponse& response,
                              Connection connection);

// Only the head (what SerializeResponse writes before the body).
std::string SerializeResponseHead(const HttpResponse& response,
                                  Connection connection);

}  // namespace concurrency::http

#endif  // CONCURRENCY_HTTP_RESPONSE_H_
