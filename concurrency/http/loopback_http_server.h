// LoopbackHttpServer: a small HTTP/1.1 server on 127.0.0.1 for tests, demos
// and benchmarks, answering each request from a handler function.
//
// It exists so that the pipeline can be run and tested offline against a
// server that behaves (the demo price feed, prices.h) or misbehaves on
// purpose: any status and headers, a delay before answering, or a body cut
// short of its Content-Length. One request per connection
// (`Connection: close`). Connections are served on the project's ThreadPool;
// a delayed response waits on a Notification, so destruction is prompt even
// with responses pending. A client that sends no complete request head within
// `header_timeout` is disconnected.
//
// Thread-safety: the handler is called concurrently from pool threads.
#ifndef CONCURRENCY_LOOPBACK_HTTP_SERVER_H_
#define CONCURRENCY_LOOPBACK_HTTP_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "concurrency/thread_pool.h"

namespace concurrency::http {

struct HttpRequest {
  std::string method;
  std::string target;  // as sent: path and query
  std::string path;
  std::string query;  // after '?', undecoded
  absl::flat_hash_map<std::string, std::string> headers;  // lower-case names
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  absl::Duration delay = absl::ZeroDuration();  // before anything is sent
  // Send only this many body bytes (Content-Length still says the full size),
  // then close: a truncated response.
  std::optional<size_t> truncate_body_at;
};

class LoopbackHttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  struct Options {
    int port = 0;  // 0: an ephemeral port
    int threads = 16;
    absl::Duration header_timeout = absl::Seconds(5);
  };

  static absl::StatusOr<std::unique_ptr<LoopbackHttpServer>> Start(
      Handler handler, Options options);
  static absl::StatusOr<std::unique_ptr<LoopbackHttpServer>> Start(
      Handler handler) {
    return Start(std::move(handler), Options());
  }

  // Stops accepting, wakes delayed responses (their connections are closed
  // unanswered) and joins every thread.
  ~LoopbackHttpServer();

  int port() const { return port_; }
  // "http://127.0.0.1:PORT"
  std::string base_url() const;
  // Requests answered or cut so far.
  int64_t requests() const { return requests_.load(); }

 private:
  LoopbackHttpServer(Handler handler, Options options, int listen_fd, int port,
                     int wake_read, int wake_write);
  void AcceptLoop();
  void Serve(int fd);

  const Handler handler_;
  const Options options_;
  const int listen_fd_;
  const int port_;
  const int wake_read_;
  const int wake_write_;
  absl::Notification stopping_;
  std::atomic<int64_t> requests_{0};
  ThreadPool pool_;
  std::thread acceptor_;
};

// Standard reason phrase for a status code ("OK", "Not Found", ...).
const char* HttpReason(int status);

}  // namespace concurrency::http

#endif  // CONCURRENCY_LOOPBACK_HTTP_SERVER_H_
