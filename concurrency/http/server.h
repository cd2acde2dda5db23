// -----------------------------------------------------------------------------
// File: server.h
// -----------------------------------------------------------------------------
//
// HttpServer is the repository's one HTTP/1.1 server. The camera streamer,
// the pipeline's demo price feed and the tests' misbehaving server all stand
// on it. It accepts connections from an io::Listener and serves each on the
// project's ThreadPool:
//
//   HttpServer server({.port = 0});
//   server.Handle("GET", "/stats", [](const HttpRequest&) { ... });
//   server.HandleTakeover("GET", "/stream", [](const HttpRequest&,
//                                              io::ScopedFd socket) { ... });
//   absl::Status s = server.Start();
//   ...
//   server.Stop();  // or let the destructor do it
//
// Requests. Each request head is read within `Options::limits` (431 over a
// limit, 408 too slow, 400 malformed) and routed by method and path: a path
// with no route is 404, a path routed for other methods 405 (with Allow). A
// route whose path is "*" takes every path that has no route of its own; a
// method of "*" takes every method.
//
// Responses. A `Handler` returns an HttpResponse, which the server writes
// with Content-Length. The connection is kept alive for the next request when
// the client allows it and `Options::keep_alive` is set, for at most
// `max_requests_per_connection` requests and `idle_timeout` between them, and
// only while no other connection waits for a pool thread (an idle kept-alive
// connection holds one).
//
// Long-lived streams. A `TakeoverHandler` receives the socket itself, right
// after the head is read: the server neither reads nor writes it again. It
// may stream on the pool thread it runs on, or move the socket elsewhere (an
// event loop) and return at once.
//
// Stopping. `Stop()` stops accepting, shuts down every connection whose
// handler is still running on the pool (a blocked send or read returns), and
// joins every thread. A socket moved out of a TakeoverHandler that has
// returned is its new owner's to close.
//
// Thread-safety: register routes before `Start()`; after it, handlers are
// called concurrently from pool threads and must be thread-safe. `Stop()`,
// `port()` and `requests()` may be called from any thread. Handlers must not
// throw: an exception leaves the connection to be closed unanswered.
#ifndef CONCURRENCY_HTTP_SERVER_H_
#define CONCURRENCY_HTTP_SERVER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "concurrency/http/request.h"
#include "concurrency/http/response.h"
#include "concurrency/io/listener.h"
#include "concurrency/io/scoped_fd.h"
#include "concurrency/thread_pool.h"

namespace concurrency::http {

class HttpServer {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    int port = 0;      // 0: an ephemeral port
    int threads = 16;  // connections served at once
    HeadLimits limits;
    bool keep_alive = true;
    absl::Duration idle_timeout = absl::Seconds(5);
    // A client that accepts no bytes for this long fails the send (and its
    // connection is closed): a stalled reader cannot hold a thread forever.
    absl::Duration send_timeout = absl::Seconds(10);
    int max_requests_per_connection = 1000;
    // Simulated latency before each Handler response (demos, benchmarks).
    absl::Duration response_delay = absl::ZeroDuration();
  };

  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  using TakeoverHandler = std::function<void(const HttpRequest&, io::ScopedFd)>;

  explicit HttpServer(Options options);
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  ~HttpServer();

  // Routes `method` and `path` ("*" for any) to a handler. Before Start().
  void Handle(absl::string_view method, absl::string_view path,
              Handler handler);
  void HandleTakeover(absl::string_view method, absl::string_view path,
                      TakeoverHandler handler);

  // Listens and starts serving. Errors name the address.
  absl::Status Start();

  // Stops serving (see the file comment). Idempotent.
  void Stop();

  int port() const { return listener_ == nullptr ? 0 : listener_->port(); }
  // "http://HOST:PORT"
  std::string base_url() const;
  // Requests answered (or taken over) so far.
  int64_t requests() const { return requests_.load(); }

 private:
  struct Route {
    std::string method;
    std::string path;
    Handler handler;
    TakeoverHandler takeover;
  };

  void AcceptLoop();
  void Serve(int64_t id, io::ScopedFd socket, const std::string& peer);
  // The route for `request`, or null with `*refusal` set to the 404/405.
  const Route* FindRoute(const HttpRequest& request,
                         HttpResponse* refusal) const;
  bool KeepAlive(const HttpRequest& request, int served)
      ABSL_LOCKS_EXCLUDED(mu_);
  void Track(int64_t id, int fd) ABSL_LOCKS_EXCLUDED(mu_);
  void Untrack(int64_t id) ABSL_LOCKS_EXCLUDED(mu_);

  // Constant after Start().
  const Options options_;
  std::vector<Route> routes_;
  std::unique_ptr<io::Listener> listener_;

  absl::Notification stopping_;
  std::atomic<bool> stopped_{false};
  std::atomic<int64_t> requests_{0};

  // State below is protected by mu_.
  absl::Mutex mu_;
  absl::flat_hash_map<int64_t, int> open_ ABSL_GUARDED_BY(mu_);  // id -> fd
  int64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;

  ThreadPool pool_;
  std::thread acceptor_;
};

}  // namespace concurrency::http

#endif  // CONCURRENCY_HTTP_SERVER_H_
