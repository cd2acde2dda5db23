// -----------------------------------------------------------------------------
// File: misbehaving_server.h  (test-only)
// -----------------------------------------------------------------------------
//
// MisbehavingServer is an HttpServer whose every request is answered by a
// script that can misbehave on purpose: any status and headers, a delay
// before anything is sent, or a body cut short of its Content-Length. The
// downloader's and the pipeline's tests use it to play a flaky or hostile
// server.
//
// The misbehaviours are one route on the shared server, so the request heads
// are read exactly as every other server of the tree reads them, and the
// response heads are made by the one writer (SerializeResponseHead). The
// route takes the socket raw (a status-0 streamed response) and a thread of
// this server's own waits out the delay and writes the scripted bytes, a cut
// body included. One request per connection. Destruction is prompt even
// with delayed responses pending: they are dropped unanswered.
//
// Thread-safety: the script is called concurrently from pool threads.
#ifndef CONCURRENCY_HTTP_MISBEHAVING_SERVER_H_
#define CONCURRENCY_HTTP_MISBEHAVING_SERVER_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "concurrency/http/request.h"
#include "concurrency/http/response.h"
#include "concurrency/http/server.h"
#include "concurrency/thread_pool.h"

namespace concurrency::http {

struct ScriptedResponse {
  HttpResponse response;
  absl::Duration delay = absl::ZeroDuration();  // before anything is sent
  // Send only this many body bytes (Content-Length still says the full
  // size), then close: a truncated response.
  std::optional<size_t> truncate_body_at;
};

class MisbehavingServer {
 public:
  using Script = std::function<ScriptedResponse(const HttpRequest&)>;

  static absl::StatusOr<std::unique_ptr<MisbehavingServer>> Start(
      Script script, int threads = 16);
  ~MisbehavingServer();

  int port() const { return server_.port(); }
  std::string base_url() const { return server_.base_url(); }
  int64_t requests() const { return server_.requests(); }

 private:
  MisbehavingServer(Script script, int threads);
  HttpResponse Answer(const HttpRequest& request);

  const Script script_;
  absl::Notification stopping_;
  ThreadPool writers_;  // waits out delays and writes the scripted bytes
  HttpServer server_;
};

}  // namespace concurrency::http

#endif  // CONCURRENCY_HTTP_MISBEHAVING_SERVER_H_
