// Fuzzes the request-head parser and reader: any bytes a client can send.
// The first byte picks small limits, so the limit paths are reached too; the
// rest is sent through a socket pair and read as request heads until the
// reader stops. Checks: no crash, no over-read (ASan), every accepted request
// obeys the parser's own rules, and every refusal maps to 400, 408 or 431.
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "concurrency/http/head_reader.h"
#include "concurrency/http/request.h"
#include "concurrency/io/read_write.h"
#include "concurrency/io/scoped_fd.h"
#include "tools/fuzzing/check.h"

namespace {

using concurrency::http::HeadLimits;
using concurrency::http::HttpRequest;

constexpr size_t kMaxInput = 64 << 10;  // fits a socket pair's buffer

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

  // The reader, on the input as a connection's byte stream.
  int sv[2];
  FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  concurrency::io::ScopedFd client(sv[0]);
  concurrency::io::ScopedFd server(sv[1]);
  FUZZ_CHECK(concurrency::io::SendAll(client.get(), bytes, "fuzz").ok());
  client.Reset();  // end of stream: the reader must stop, never wait
  concurrency::http::HeadReader reader(server.get());
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  for (size_t heads = 0; heads <= bytes.size(); ++heads) {
    absl::StatusOr<HttpRequest> r = reader.Read(limits, deadline);
    if (!r.ok()) {
      CheckError(r.status());
      return 0;
    }
    CheckRequest(*r, limits);
  }
  FUZZ_CHECK(false);  // more heads than bytes: the reader did not advance
  return 0;
}
