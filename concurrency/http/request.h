// -----------------------------------------------------------------------------
// File: request.h
// -----------------------------------------------------------------------------
//
// HttpRequest is the repository's one HTTP request type, and
// `ParseRequestHead` its one request-head parser. It is strict, because every
// byte comes from the network: the request line must be `METHOD SP /target SP
// HTTP/1.x`, header lines `name: value` with a token name, and no line or
// count may exceed its limit. Anything else is refused with a status whose
// code says what to answer (`HttpStatusFor`): InvalidArgument is 400 Bad
// Request, ResourceExhausted is 431 Request Header Fields Too Large.
//
// Only what a GET-serving server needs is parsed: a request that announces a
// body (Content-Length > 0, or any Transfer-Encoding) is accepted, marked
// `has_body`, and the server answers it and closes the connection rather
// than read a body it does not use.
//
// Thread-safe: the functions keep no state.
#ifndef CONCURRENCY_HTTP_REQUEST_H_
#define CONCURRENCY_HTTP_REQUEST_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace concurrency::http {

// Limits on what a client may send before its request is handled. Exceeding
// the first three gives 431, the head timeout 408.
struct HeadLimits {
  size_t max_head_bytes = 16 << 10;  // request line + headers + blank line
  size_t max_line_bytes = 8 << 10;   // any one line, without its CRLF
  size_t max_headers = 100;
  absl::Duration head_timeout = absl::Seconds(5);  // first byte to blank line
};

struct HttpRequest {
  std::string method;     // as sent ("GET"); methods are case-sensitive
  std::string target;     // as sent: path and query
  std::string path;       // target up to '?'
  std::string query;      // after '?', undecoded
  int version_minor = 1;  // HTTP/1.<minor>
  // Lower-case names; repeated headers joined with ", " (RFC 9110 5.3).
  absl::flat_hash_map<std::string, std::string> headers;
  // Whether the client allows another request on this connection (HTTP/1.1
  // unless "Connection: close"; HTTP/1.0 only with "Connection: keep-alive").
  bool keep_alive = true;
  bool has_body = false;
  // The client's "address:port", filled in by the server (not the parser).
  std::string peer;

  // The value of header `lower_case_name`, or "" when absent.
  absl::string_view Header(absl::string_view lower_case_name) const;

  // The value of query parameter `name` (the first `name=value` or bare
  // `name` among the `&`-separated parts of `query`, undecoded), or nullopt
  // when absent. The repository's one query splitter.
  std::optional<absl::string_view> QueryParam(absl::string_view name) const;
};

// Parses a request head: everything before the blank line, without the final
// "\r\n\r\n". Errors name the offending line (cut to 100 bytes).
absl::StatusOr<HttpRequest> ParseRequestHead(absl::string_view head,
                                             const HeadLimits& limits);

// The HTTP status to answer a failed read or parse with: 400, 408, 431, or 0
// when nothing should be sent (the client went away).
int HttpStatusFor(const absl::Status& head_error);

}  // namespace concurrency::http

#endif  // CONCURRENCY_HTTP_REQUEST_H_
