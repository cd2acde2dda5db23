#include "concurrency/http/server.h"

#include <sys/socket.h>

#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "concurrency/http/head_reader.h"
#include "concurrency/io/read_write.h"

namespace concurrency::http {
namespace {

// After a failed accept (EMFILE, say), wait this long before the next, so a
// persistent error does not spin a core.
constexpr absl::Duration kAcceptBackoff = absl::Milliseconds(10);

bool Matches(absl::string_view pattern, absl::string_view value) {
  return pattern == "*" || pattern == value;
}

}  // namespace

HttpServer::HttpServer(Options options)
    : options_(std::move(options)), pool_(options_.threads, "http") {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Handle(absl::string_view method, absl::string_view path,
                        Handler handler) {
  routes_.push_back(
      {std::string(method), std::string(path), std::move(handler), nullptr});
}

void HttpServer::HandleTakeover(absl::string_view method,
                                absl::string_view path,
                                TakeoverHandler handler) {
  routes_.push_back(
      {std::string(method), std::string(path), nullptr, std::move(handler)});
}

absl::Status HttpServer::Start() {
  absl::StatusOr<std::unique_ptr<io::Listener>> listener =
      io::Listener::Open(options_.host, options_.port);
  if (!listener.ok()) return listener.status();
  listener_ = std::move(*listener);
  acceptor_ = std::thread([this] { AcceptLoop(); });
  return absl::OkStatus();
}

void HttpServer::Stop() {
  if (stopped_.exchange(true)) return;
  stopping_.Notify();
  if (listener_ != nullptr) listener_->Stop();
  if (acceptor_.joinable()) acceptor_.join();
  {
    absl::MutexLock l(&mu_);
    for (const auto& [id, fd] : open_) shutdown(fd, SHUT_RDWR);
  }
  pool_.Shutdown(/*wait=*/true);
}

std::string HttpServer::base_url() const {
  return absl::StrCat("http://", options_.host, ":", port());
}

void HttpServer::AcceptLoop() {
  while (true) {
    absl::StatusOr<io::Connection> c = listener_->Accept();
    if (!c.ok()) {
      if (listener_->stopped()) return;
      stopping_.WaitForNotificationWithTimeout(kAcceptBackoff);
      continue;
    }
    int64_t id;
    {
      absl::MutexLock l(&mu_);
      id = next_id_++;
    }
    Track(id, c->fd.get());
    auto conn = std::make_shared<io::Connection>(std::move(*c));
    if (!pool_
             .Submit([this, id, conn] {
               Serve(id, std::move(conn->fd), conn->peer);
             })
             .ok()) {
      Untrack(id);  // stopping: `socket` closes when the lambda is dropped
    }
  }
}

void HttpServer::Track(int64_t id, int fd) {
  absl::MutexLock l(&mu_);
  open_[id] = fd;
}

void HttpServer::Untrack(int64_t id) {
  absl::MutexLock l(&mu_);
  open_.erase(id);
}

const HttpServer::Route* HttpServer::FindRoute(const HttpRequest& request,
                                               HttpResponse* refusal) const {
  // Routes of this exact path first; "*" only when the path has none.
  for (bool exact : {true, false}) {
    std::vector<std::string> allowed;
    for (const Route& route : routes_) {
      bool path_ok = exact ? route.path == request.path : route.path == "*";
      if (!path_ok) continue;
      if (Matches(route.method, request.method)) return &route;
      allowed.push_back(route.method);
    }
    if (!allowed.empty()) {
      *refusal = TextResponse(
          405,
          absl::StrCat(request.method, " is not served for ", request.path));
      refusal->headers.emplace_back("Allow", absl::StrJoin(allowed, ", "));
      return nullptr;
    }
  }
  *refusal = TextResponse(404, absl::StrCat("no ", request.path, " here"));
  return nullptr;
}

bool HttpServer::KeepAlive(const HttpRequest& request, int served) {
  if (!options_.keep_alive || !request.keep_alive || request.has_body ||
      served >= options_.max_requests_per_connection ||
      stopping_.HasBeenNotified()) {
    return false;
  }
  // An idle kept-alive connection holds a pool thread; when connections are
  // waiting for one, close this one instead of making them wait.
  absl::MutexLock l(&mu_);
  return open_.size() <= static_cast<size_t>(options_.threads);
}

void HttpServer::Serve(int64_t id, io::ScopedFd socket,
                       const std::string& peer) {
  absl::Cleanup untrack = [this, id] { Untrack(id); };
  timeval tv = absl::ToTimeval(options_.send_timeout);
  setsockopt(socket.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  HeadReader reader(socket.get());
  for (int served = 0;; ++served) {
    absl::Duration wait =
        served == 0 ? options_.limits.head_timeout : options_.idle_timeout;
    absl::StatusOr<HttpRequest> request =
        reader.Read(options_.limits, absl::Now() + wait);
    if (!request.ok()) {
      bool idle = served > 0 && !reader.has_buffered();
      int status = HttpStatusFor(request.status());
      if (status != 0 && !idle) {
        (void)io::SendAll(
            socket.get(),
            SerializeResponse(TextResponse(status, request.status().message()),
                              Connection::kClose),
            "http error response");
      }
      return;
    }
    request->peer = peer;
    HttpResponse response;
    const Route* route = FindRoute(*request, &response);
    if (route != nullptr && route->takeover) {
      requests_.fetch_add(1);
      route->takeover(*request, std::move(socket));
      return;
    }
    if (route != nullptr) response = route->handler(*request);
    if (options_.response_delay > absl::ZeroDuration() &&
        stopping_.WaitForNotificationWithTimeout(options_.response_delay)) {
      return;
    }
    bool keep = KeepAlive(*request, served + 1);
    absl::Status sent =
        io::SendAll(socket.get(),
                    SerializeResponse(response, keep ? Connection::kKeepAlive
                                                     : Connection::kClose),
                    "http response");
    requests_.fetch_add(1);
    if (!sent.ok() || !keep) return;
  }
}

}  // namespace concurrency::http
