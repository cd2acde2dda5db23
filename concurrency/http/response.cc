#include "concurrency/http/response.h"

#include "absl/strings/str_cat.h"

namespace concurrency::http {

HttpResponse TextResponse(int status, absl::string_view text) {
  HttpResponse r;
  r.status = status;
  r.body = absl::StrCat(text, "\n");
  return r;
}

absl::string_view HttpReason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 410:
      return "Gone";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Unknown";
  }
}

std::string SerializeResponseHead(const HttpResponse& response,
                                  ConnectionHeader connection) {
  std::string out = absl::StrCat("HTTP/1.1 ", response.status, " ",
                                 HttpReason(response.status), "\r\n");
  if (!response.content_type.empty()) {
    absl::StrAppend(&out, "Content-Type: ", response.content_type, "\r\n");
  }
  for (const auto& [name, value] : response.headers) {
    absl::StrAppend(&out, name, ": ", value, "\r\n");
  }
  const bool streamed = response.stream != nullptr;
  if (!streamed) {
    absl::StrAppend(&out, "Content-Length: ", response.body.size(), "\r\n");
  }
  absl::StrAppend(&out, "Connection: ",
                  connection == ConnectionHeader::kKeepAlive && !streamed
                      ? "keep-alive"
                      : "close",
                  "\r\n\r\n");
  return out;
}

std::string SerializeResponse(const HttpResponse& response,
                              ConnectionHeader connection) {
  return absl::StrCat(SerializeResponseHead(response, connection),
                      response.body);
}

}  // namespace concurrency::http
