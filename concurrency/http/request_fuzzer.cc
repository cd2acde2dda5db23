// Fuzzes the request-head parser and the incremental HeadParser: any bytes a
// client can send. The first byte picks small limits, so the limit paths are
// reached too; the rest is fed to a HeadParser in chunks of a size the
// second byte picks, as a connection's bytes arrive, and cut into heads until
// it refuses. Checks: no crash, no over-read (ASan), every accepted request
// obeys the parser's own rules, every refusal maps to 400 or 431, the
// parser's buffer stays within its bound, and the parser always advances.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "concurrency/http/head_parser.h"
#include "concurrency/http/request.h"
#include "tools/fuzzing/check.h"

namespace {

using concurrency::http::HeadLimits;
using concurrency::http::HttpRequest;

constexpr size_t kMaxInput = 64 << 10;

HeadLimits LimitsFrom(uint8_t b) {
  HeadLimits limits;
  if (b & 1) limits.max_head_bytes = 64 + (b & 0x70);
  if (b & 2) limits.max_line_bytes = 16 + (b & 0x30);
  if (b & 4) limits.max_headers = b >> 5;
  return limits;
}

void CheckRequest(const HttpRequest& r, const HeadLimits& limits) {
  FUZZ_CHECK(!r.method.empty());
  FUZZ_CHECK(!r.path.empty() && r.path[0] == '/');
  FUZZ_CHECK(r.target.compare(0, r.path.size(), r.path) == 0);
  FUZZ_CHECK(r.headers.size() <= limits.max_headers);
  for (const auto& [name, value] : r.headers) {
    FUZZ_CHECK(!name.empty());
    FUZZ_CHECK(absl::AsciiStrToLower(name) == name);
  }
  (void)r.QueryParam("action");
}

void CheckError(const absl::Status& s) {
  int status = concurrency::http::HttpStatusFor(s);
  FUZZ_CHECK(status == 400 || status == 408 || status == 431 || status == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > kMaxInput) return 0;
  const HeadLimits limits = LimitsFrom(data[0]);
  absl::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

  // The parser alone, on the whole input as one head.
  absl::StatusOr<HttpRequest> parsed =
      concurrency::http::ParseRequestHead(bytes, limits);
  if (parsed.ok()) {
    CheckRequest(*parsed, limits);
  } else {
    CheckError(parsed.status());
  }

  // The incremental parser, on the input as a connection's byte stream.
  const size_t chunk =
      1 + (bytes.empty() ? 0 : static_cast<unsigned char>(bytes[0]) % 64) * 64;
  concurrency::http::HeadParser parser;
  size_t fed = 0;
  for (size_t heads = 0; heads <= bytes.size() + 1; ++heads) {
    std::optional<absl::StatusOr<HttpRequest>> next;
    while (!(next = parser.Next(limits)).has_value()) {
      FUZZ_CHECK(parser.buffered() < limits.max_head_bytes);
      if (fed == bytes.size()) return 0;  // waits for more: fine
      const size_t n = std::min(chunk, bytes.size() - fed);
      parser.Append(bytes.substr(fed, n));
      fed += n;
      FUZZ_CHECK(parser.buffered() < limits.max_head_bytes + chunk);
    }
    if (!next->ok()) {
      CheckError(next->status());
      FUZZ_CHECK(concurrency::http::HttpStatusFor(next->status()) != 0);
      return 0;
    }
    CheckRequest(**next, limits);
  }
  FUZZ_CHECK(false);  // more heads than bytes: the parser did not advance
  return 0;
}
