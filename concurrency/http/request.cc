#include "concurrency/http/request.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace concurrency::http {
namespace {

constexpr size_t kQuoteBytes = 100;

// RFC 9110 5.6.2: token characters.
bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         absl::string_view("!#$%&'*+-.^_`|~").find(c) !=
             absl::string_view::npos;
}

bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

// Visible ASCII and obs-text; no spaces or controls.
bool IsTarget(absl::string_view s) {
  if (s.empty() || s[0] != '/') return false;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return false;
  }
  return true;
}

// Field values: HTAB, SP, visible ASCII and obs-text.
bool IsFieldValue(absl::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

absl::Status Malformed(absl::string_view what, absl::string_view line) {
  return absl::InvalidArgumentError(
      absl::StrCat("malformed ", what, " '", line.substr(0, kQuoteBytes), "'"));
}

absl::Status ParseRequestLine(absl::string_view line, HttpRequest* r) {
  std::vector<absl::string_view> parts = absl::StrSplit(line, ' ');
  if (parts.size() != 3 || !IsToken(parts[0]) || !IsTarget(parts[1])) {
    return Malformed("request line", line);
  }
  absl::string_view version = parts[2];
  if (version.size() != 8 || !absl::StartsWith(version, "HTTP/1.") ||
      !absl::ascii_isdigit(static_cast<unsigned char>(version[7]))) {
    return Malformed("request line", line);
  }
  r->method = std::string(parts[0]);
  r->target = std::string(parts[1]);
  r->version_minor = version[7] - '0';
  size_t q = r->target.find('?');
  r->path = r->target.substr(0, q);
  if (q != std::string::npos) r->query = r->target.substr(q + 1);
  return absl::OkStatus();
}

absl::Status ParseHeaderLine(absl::string_view line, HttpRequest* r) {
  size_t colon = line.find(':');
  if (colon == absl::string_view::npos || !IsToken(line.substr(0, colon))) {
    return Malformed("header line", line);
  }
  absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
  if (!IsFieldValue(value)) return Malformed("header line", line);
  std::string name = absl::AsciiStrToLower(line.substr(0, colon));
  auto [it, inserted] = r->headers.try_emplace(name, value);
  if (!inserted) absl::StrAppend(&it->second, ", ", value);
  return absl::OkStatus();
}

// Fills keep_alive and has_body from the headers.
absl::Status Interpret(HttpRequest* r) {
  std::string connection = absl::AsciiStrToLower(r->Header("connection"));
  r->keep_alive = r->version_minor >= 1
                      ? !absl::StrContains(connection, "close")
                      : absl::StrContains(connection, "keep-alive");
  if (r->headers.contains("transfer-encoding")) r->has_body = true;
  if (auto it = r->headers.find("content-length"); it != r->headers.end()) {
    uint64_t length = 0;
    if (!absl::SimpleAtoi(it->second, &length) ||
        !absl::ascii_isdigit(static_cast<unsigned char>(it->second[0]))) {
      return Malformed("Content-Length", it->second);
    }
    if (length > 0) r->has_body = true;
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view HttpRequest::Header(absl::string_view name) const {
  auto it = headers.find(name);
  return it == headers.end() ? absl::string_view() : it->second;
}

std::optional<absl::string_view> HttpRequest::QueryParam(
    absl::string_view name) const {
  for (absl::string_view part : absl::StrSplit(query, '&')) {
    if (!absl::ConsumePrefix(&part, name)) continue;
    if (part.empty()) return part;
    if (part[0] == '=') return part.substr(1);
  }
  return std::nullopt;
}

absl::StatusOr<HttpRequest> ParseRequestHead(absl::string_view head,
                                             const HeadLimits& limits) {
  if (head.size() + 4 > limits.max_head_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("request head over ", limits.max_head_bytes, " bytes"));
  }
  std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  if (lines.size() - 1 > limits.max_headers) {
    return absl::ResourceExhaustedError(
        absl::StrCat("more than ", limits.max_headers, " header lines"));
  }
  HttpRequest r;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].size() > limits.max_line_bytes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "line ", i + 1, " over ", limits.max_line_bytes, " bytes"));
    }
    absl::Status s =
        i == 0 ? ParseRequestLine(lines[i], &r) : ParseHeaderLine(lines[i], &r);
    if (!s.ok()) return s;
  }
  if (absl::Status s = Interpret(&r); !s.ok()) return s;
  return r;
}

int HttpStatusFor(const absl::Status& head_error) {
  switch (head_error.code()) {
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kResourceExhausted:
      return 431;
    case absl::StatusCode::kDeadlineExceeded:
      return 408;
    default:
      return 0;
  }
}

}  // namespace concurrency::http
