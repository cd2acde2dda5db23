// -----------------------------------------------------------------------------
// File: server.h
// -----------------------------------------------------------------------------
//
// HttpServer is the repository's one HTTP/1.1 server. The camera streamer,
// the pipeline's demo price feed and the tests' misbehaving server all stand
// on it.
//
//   HttpServer server({.port = 0});
//   server.Handle("GET", "/stats", [](const HttpRequest&) { ... });
//   server.Handle("GET", "/?action=stream", StreamHandler,
//                 HttpServer::RunOn::kLoop);
//   absl::Status s = server.Start();
//   ...
//   server.Stop();  // or let the destructor do it
//
// Who does what. One event-loop thread accepts connections, reads request
// heads from non-blocking sockets, writes every response, and keeps idle
// kept-alive connections. Only a complete request reaches a handler: on the
// project's ThreadPool (`Options::threads` of them), or, for a route
// registered with RunOn::kLoop, on the loop thread itself. A peer that sends
// part of a head and then nothing, or keeps a connection idle, costs a socket
// and its buffered bytes (at most `limits.max_head_bytes` plus 4 KiB), never
// a thread.
//
// Requests. Each head is read within `Options::limits`, enforced by the
// loop: 431 over a size limit, 400 malformed, 408 when it is not complete
// `head_timeout` after the connection opened (or after the first byte of a
// later request on a kept-alive connection). Requests are routed by method
// and path: a path with no route is 404, a path routed for other methods 405
// (with Allow). A route's path may name one query parameter,
// "/?action=stream": it takes the requests of that path that carry it, ahead
// of the plain path's route. A route whose path is "*" takes every path that
// has no route of its own; a method of "*" takes every method.
//
// Responses. A handler returns an HttpResponse, which the loop writes
// (response.h) after `response_delay`, a timer. A client that accepts no
// byte of it for `send_timeout` is dropped. The connection is then kept for
// the next request when the client allows it and `keep_alive` is set, for at
// most `max_requests_per_connection` requests and `idle_timeout` between
// them. A response with `stream` set hands its socket on after the head
// (response.h): that is how long-lived streams leave the server.
//
// Costs. At most `max_connections` sockets are open in the server at once
// (reading, waiting for a handler, or being written; not those handed to a
// stream); a connection over it is answered 503 and closed.
//
// Stopping. `Stop()` stops accepting, closes every connection the server
// still has, lets running handlers finish (their responses are dropped), and
// joins every thread. A socket handed to a `stream` is its new owner's to
// close.
//
// Thread-safety: register routes before `Start()`; after it, pool handlers
// are called concurrently from pool threads and must be thread-safe, and loop
// handlers must not block. `Stop()`, `port()`, `requests()`,
// `accept_failures()` and `connections()` may be called from any thread.
// Handlers must not throw.
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
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
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
    int threads = 16;  // pool handlers running at once
    int max_connections = 4096;
    HeadLimits limits;
    bool keep_alive = true;
    absl::Duration idle_timeout = absl::Seconds(5);
    absl::Duration send_timeout = absl::Seconds(10);
    int max_requests_per_connection = 1000;
    // Simulated latency before each routed response (demos, benchmarks).
    absl::Duration response_delay = absl::ZeroDuration();
  };

  // Where a route's handler runs.
  enum class RunOn {
    kPool,  // a pool thread: the handler may block
    kLoop,  // the event-loop thread: the handler must return at once
  };

  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  explicit HttpServer(Options options);
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  ~HttpServer();

  // Routes `method` and `path` ("*" for any; "/path?name=value" for one
  // query parameter) to `handler`. Before Start().
  void Handle(absl::string_view method, absl::string_view path, Handler handler,
              RunOn run_on = RunOn::kPool);

  // Listens and starts serving. Errors name the address.
  absl::Status Start();

  // Stops serving (see the file comment). Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  int port() const { return listener_ == nullptr ? 0 : listener_->port(); }
  // "http://HOST:PORT"
  std::string base_url() const;
  // Requests routed so far (answered, or on their way to a handler).
  int64_t requests() const { return requests_.load(); }
  // Accepts that failed for another reason than "none waiting" (no
  // descriptor left: EMFILE, ENFILE; no memory): each is tried again 10 ms
  // later, since the listener's readiness edge may not come again.
  int64_t accept_failures() const { return accept_failures_.load(); }
  // Sockets open in the server now (see Costs above).
  int connections() const { return connections_.load(); }

 private:
  struct Route {
    std::string method;
    std::string path;
    std::string query;  // "name=value", or "" for any
    Handler handler;
    RunOn run_on;
  };
  struct Conn;
  // A response on its way from a pool thread to the loop.
  struct Reply {
    int64_t conn;
    std::string bytes;
    bool keep_alive;
    std::function<void(io::ScopedFd)> stream;
  };

  // The route for `request`, or null with `*refusal` set to the 404/405.
  const Route* FindRoute(const HttpRequest& request,
                         HttpResponse* refusal) const;
  bool KeepAlive(const HttpRequest& request, int served) const;
  static Reply MakeReply(int64_t conn, HttpResponse response, bool keep);
  // From a pool thread: queues `reply` for the loop and wakes it.
  void Post(Reply reply) ABSL_LOCKS_EXCLUDED(mu_);
  void Wake();

  // The loop thread and its steps; everything they touch that has no
  // ABSL_GUARDED_BY is the loop thread's alone.
  void Loop() ABSL_LOCKS_EXCLUDED(mu_);
  bool TakeReplies() ABSL_LOCKS_EXCLUDED(mu_);  // false: stopping
  void AcceptAll();
  void OnEvent(int64_t id, uint32_t events);
  void ReadHeads(Conn& c);
  void Dispatch(Conn& c, HttpRequest request);
  void Refuse(Conn& c, const absl::Status& error);
  void Respond(Conn& c, Reply reply);
  void StartWrite(Conn& c);
  void Flush(Conn& c);
  void Expire();
  void SetDeadline(Conn& c, absl::Time deadline);
  void Close(Conn& c);
  int MillisToNextTimer() const;

  // Constant after Start().
  const Options options_;
  std::vector<Route> routes_;
  std::unique_ptr<io::Listener> listener_;
  io::ScopedFd epoll_;
  io::ScopedFd wake_;  // eventfd: replies are waiting, or Stop()

  std::atomic<bool> stopped_{false};
  std::atomic<int64_t> requests_{0};
  std::atomic<int64_t> accept_failures_{0};
  std::atomic<int> connections_{0};

  absl::Mutex mu_;
  std::vector<Reply> replies_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  // The loop thread's own state (server.cc).
  struct LoopState;
  std::unique_ptr<LoopState> state_;

  ThreadPool pool_;
  std::thread loop_;
};

}  // namespace concurrency::http

#endif  // CONCURRENCY_HTTP_SERVER_H_
