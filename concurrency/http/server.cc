#include "concurrency/http/server.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <set>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "concurrency/http/head_parser.h"
#include "concurrency/io/posix_error.h"

namespace concurrency::http {
namespace {

// epoll keys: the listener, the wake-up, then connection ids.
constexpr uint64_t kListenerKey = 0;
constexpr uint64_t kWakeKey = 1;
constexpr int64_t kFirstConnId = 2;
constexpr size_t kRecvChunk = 4096;
constexpr int kMaxEvents = 256;
// After a failed accept (EMFILE, say), wait this long before the next, so a
// persistent error does not spin the loop.
constexpr absl::Duration kAcceptBackoff = absl::Milliseconds(10);

bool Matches(absl::string_view pattern, absl::string_view value) {
  return pattern == "*" || pattern == value;
}

// Whether `request` carries the route's "name=value" (or bare "name").
bool HasQuery(const HttpRequest& request, absl::string_view spec) {
  std::pair<absl::string_view, absl::string_view> nv =
      absl::StrSplit(spec, absl::MaxSplits('=', 1));
  std::optional<absl::string_view> value = request.QueryParam(nv.first);
  return value.has_value() && *value == nv.second;
}

}  // namespace

struct HttpServer::Conn {
  enum class State {
    kReading,   // a head, or idle between requests
    kHandling,  // a handler has the request
    kDelayed,   // the response waits for response_delay
    kWriting,   // the response is going out
  };
  int64_t id = 0;
  io::ScopedFd fd;
  std::string peer;
  State state = State::kReading;
  bool idle = false;  // kept alive, no byte of the next request yet
  int served = 0;
  absl::Time deadline = absl::InfiniteFuture();
  HeadParser parser;
  Reply reply;     // while delayed or writing
  size_t off = 0;  // bytes of reply.bytes sent
};

struct HttpServer::LoopState {
  absl::flat_hash_map<int64_t, std::unique_ptr<Conn>> conns;
  std::set<std::pair<absl::Time, int64_t>> timers;  // (deadline, conn id)
  int64_t next_id = kFirstConnId;
  absl::Time now;
  absl::Time accept_retry = absl::InfiniteFuture();
  // Kept-alive connections to read again this round: a pipelined request
  // is served by the loop, not by recursion through Flush.
  std::vector<int64_t> ready;
};

HttpServer::HttpServer(Options options)
    : options_(std::move(options)),
      state_(std::make_unique<LoopState>()),
      pool_(options_.threads, "http") {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Handle(absl::string_view method, absl::string_view path,
                        Handler handler, RunOn run_on) {
  std::pair<absl::string_view, absl::string_view> pq =
      absl::StrSplit(path, absl::MaxSplits('?', 1));
  routes_.push_back({std::string(method), std::string(pq.first),
                     std::string(pq.second), std::move(handler), run_on});
}

absl::Status HttpServer::Start() {
  absl::StatusOr<std::unique_ptr<io::Listener>> listener =
      io::Listener::Open(options_.host, options_.port);
  if (!listener.ok()) return listener.status();
  listener_ = std::move(*listener);
  epoll_.Reset(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_.valid()) return io::PosixError("epoll_create1 for http", errno);
  wake_.Reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake_.valid()) return io::PosixError("eventfd for http", errno);
  for (auto [fd, key] : {std::pair{listener_->fd(), kListenerKey},
                         std::pair{wake_.get(), kWakeKey}}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = key;
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
      return io::PosixError("epoll_ctl for http", errno);
    }
  }
  loop_ = std::thread([this] { Loop(); });
  return absl::OkStatus();
}

void HttpServer::Stop() {
  if (stopped_.exchange(true)) return;
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
  }
  if (loop_.joinable()) {
    Wake();
    loop_.join();
  }
  pool_.Shutdown(/*wait=*/true);
  // Replies of handlers that finished after the loop: dropped here, so that
  // their streams are destroyed uncalled before Stop() returns.
  std::vector<Reply> dropped;
  absl::MutexLock l(&mu_);
  dropped.swap(replies_);
}

std::string HttpServer::base_url() const {
  return absl::StrCat("http://", options_.host, ":", port());
}

const HttpServer::Route* HttpServer::FindRoute(const HttpRequest& request,
                                               HttpResponse* refusal) const {
  // This path's routes first (those naming a query parameter the request
  // carries ahead of the others); "*" only when the path has none.
  for (bool exact : {true, false}) {
    std::vector<std::string> allowed;
    const Route* found = nullptr;
    for (const Route& route : routes_) {
      bool path_ok = exact ? route.path == request.path : route.path == "*";
      if (!path_ok || (!route.query.empty() && !HasQuery(request, route.query)))
        continue;
      if (!Matches(route.method, request.method)) {
        allowed.push_back(route.method);
      } else if (found == nullptr ||
                 (found->query.empty() && !route.query.empty())) {
        found = &route;
      }
    }
    if (found != nullptr) return found;
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

bool HttpServer::KeepAlive(const HttpRequest& request, int served) const {
  return options_.keep_alive && request.keep_alive && !request.has_body &&
         served < options_.max_requests_per_connection;
}

HttpServer::Reply HttpServer::MakeReply(int64_t conn, HttpResponse response,
                                        bool keep) {
  Reply r;
  r.conn = conn;
  r.keep_alive = keep && response.stream == nullptr;
  // Status 0 with a stream: the stream writes everything (response.h).
  if (response.status != 0 || response.stream == nullptr) {
    r.bytes =
        SerializeResponse(response, r.keep_alive ? ConnectionHeader::kKeepAlive
                                                 : ConnectionHeader::kClose);
  }
  r.stream = std::move(response.stream);
  return r;
}

void HttpServer::Post(Reply reply) {
  {
    absl::MutexLock l(&mu_);
    if (stopping_) return;  // the loop is gone or going: drop it
    replies_.push_back(std::move(reply));
  }
  Wake();
}

void HttpServer::Wake() {
  uint64_t one = 1;
  // A full eventfd counter (EAGAIN) is already readable: all we need.
  (void)!write(wake_.get(), &one, sizeof one);
}

// ---------------------------------------------------------------------------
// The loop thread.

void HttpServer::Loop() {
  LoopState& s = *state_;
  epoll_event events[kMaxEvents];
  while (true) {
    const int n =
        epoll_wait(epoll_.get(), events, kMaxEvents, MillisToNextTimer());
    s.now = absl::Now();
    for (int i = 0; i < n; ++i) {
      const uint64_t key = events[i].data.u64;
      if (key == kListenerKey) {
        AcceptAll();
      } else if (key == kWakeKey) {
        uint64_t count;
        (void)!read(wake_.get(), &count, sizeof count);
      } else {
        OnEvent(static_cast<int64_t>(key), events[i].events);
      }
    }
    if (!TakeReplies()) break;
    Expire();
    // Once a round (the next epoll_wait does not block while some are
    // left), so that one client's pipeline cannot starve the others.
    std::vector<int64_t> ready;
    ready.swap(s.ready);
    for (int64_t id : ready) {
      auto it = s.conns.find(id);
      if (it != s.conns.end() && it->second->state == Conn::State::kReading) {
        ReadHeads(*it->second);
      }
    }
  }
  // Stopping: every connection still here is closed (idle ones read EOF).
  while (!s.conns.empty()) Close(*s.conns.begin()->second);
}

int HttpServer::MillisToNextTimer() const {
  const LoopState& s = *state_;
  if (!s.ready.empty()) return 0;
  absl::Time next = s.accept_retry;
  if (!s.timers.empty()) next = std::min(next, s.timers.begin()->first);
  if (next == absl::InfiniteFuture()) return -1;
  // Rounded up, so that the loop never wakes just before a deadline.
  const absl::Duration left = next - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(
      absl::ToInt64Milliseconds(std::min(left, absl::Hours(1)) +
                                absl::Milliseconds(1) - absl::Nanoseconds(1)));
}

bool HttpServer::TakeReplies() {
  std::vector<Reply> replies;
  {
    absl::MutexLock l(&mu_);
    if (stopping_) return false;
    replies.swap(replies_);
  }
  for (Reply& r : replies) {
    auto it = state_->conns.find(r.conn);
    if (it != state_->conns.end()) Respond(*it->second, std::move(r));
  }
  return true;
}

void HttpServer::AcceptAll() {
  LoopState& s = *state_;
  s.accept_retry = absl::InfiniteFuture();
  while (true) {
    absl::StatusOr<io::AcceptedSocket> c = listener_->AcceptNonBlocking();
    if (!c.ok()) {
      // Unavailable: none waiting. Anything else (EMFILE): retry later; the
      // listener's readiness edge may not come again by itself.
      if (!absl::IsUnavailable(c.status())) {
        accept_failures_.fetch_add(1);
        s.accept_retry = s.now + kAcceptBackoff;
      }
      return;
    }
    if (static_cast<int>(s.conns.size()) >= options_.max_connections) {
      static const std::string kBusy = SerializeResponse(
          TextResponse(503, "too many connections"), ConnectionHeader::kClose);
      (void)!send(c->fd.get(), kBusy.data(), kBusy.size(),
                  MSG_NOSIGNAL | MSG_DONTWAIT);
      continue;  // closed by c's ScopedFd
    }
    auto conn = std::make_unique<Conn>();
    conn->id = s.next_id++;
    conn->fd = std::move(c->fd);
    conn->peer = std::move(c->peer);
    // Edge-triggered, both ways, once: no epoll_ctl per request. Every state
    // change tries its I/O at once; events only say "try again".
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u64 = static_cast<uint64_t>(conn->id);
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, conn->fd.get(), &ev) != 0) {
      continue;
    }
    Conn& added = *conn;
    s.conns.emplace(conn->id, std::move(conn));
    connections_.store(static_cast<int>(s.conns.size()));
    SetDeadline(added, s.now + options_.limits.head_timeout);
  }
}

void HttpServer::OnEvent(int64_t id, uint32_t events) {
  auto it = state_->conns.find(id);
  if (it == state_->conns.end()) return;
  Conn& c = *it->second;
  switch (c.state) {
    case Conn::State::kReading:
      ReadHeads(c);
      break;
    case Conn::State::kWriting:
      Flush(c);
      break;
    case Conn::State::kHandling:
    case Conn::State::kDelayed:
      // Nothing to do until the response: a client that left is found out
      // when it is written. Bytes of a next request wait in the socket.
      (void)events;
      break;
  }
}

void HttpServer::ReadHeads(Conn& c) {
  char buf[kRecvChunk];
  while (true) {
    std::optional<absl::StatusOr<HttpRequest>> next =
        c.parser.Next(options_.limits);
    if (next.has_value()) {
      if (next->ok()) {
        Dispatch(c, *std::move(*next));
      } else {
        Refuse(c, next->status());
      }
      return;
    }
    const ssize_t n = recv(c.fd.get(), buf, sizeof buf, 0);
    if (n > 0) {
      if (c.idle) {  // the first byte of a next request: its head's clock
        c.idle = false;
        SetDeadline(c, state_->now + options_.limits.head_timeout);
      }
      c.parser.Append(absl::string_view(buf, static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (c.idle) c.parser.Shrink();
      return;
    }
    Close(c);  // the client went away: nothing to answer
    return;
  }
}

void HttpServer::Dispatch(Conn& c, HttpRequest request) {
  request.peer = c.peer;
  c.state = Conn::State::kHandling;
  SetDeadline(c, absl::InfiniteFuture());
  const bool keep = KeepAlive(request, ++c.served);
  requests_.fetch_add(1);
  HttpResponse refusal;
  const Route* route = FindRoute(request, &refusal);
  if (route == nullptr) {
    Respond(c, MakeReply(c.id, std::move(refusal), keep));
  } else if (route->run_on == RunOn::kLoop) {
    Respond(c, MakeReply(c.id, route->handler(request), keep));
  } else if (!pool_
                  .Schedule([this, id = c.id, route, keep,
                             request = std::move(request)]() mutable {
                    Post(MakeReply(id, route->handler(request), keep));
                  })
                  .ok()) {
    Close(c);  // stopping
  }
}

void HttpServer::Refuse(Conn& c, const absl::Status& error) {
  const int status = HttpStatusFor(error);
  if (status == 0) {
    Close(c);
    return;
  }
  c.state = Conn::State::kWriting;
  c.reply = MakeReply(c.id, TextResponse(status, error.message()),
                      /*keep=*/false);
  StartWrite(c);
}

void HttpServer::Respond(Conn& c, Reply reply) {
  c.reply = std::move(reply);
  if (options_.response_delay > absl::ZeroDuration()) {
    c.state = Conn::State::kDelayed;
    SetDeadline(c, state_->now + options_.response_delay);
    return;
  }
  StartWrite(c);
}

void HttpServer::StartWrite(Conn& c) {
  c.state = Conn::State::kWriting;
  c.off = 0;
  SetDeadline(c, state_->now + options_.send_timeout);
  Flush(c);
}

void HttpServer::Flush(Conn& c) {
  const std::string& bytes = c.reply.bytes;
  const size_t before = c.off;
  while (c.off < bytes.size()) {
    const ssize_t n = send(c.fd.get(), bytes.data() + c.off,
                           bytes.size() - c.off, MSG_NOSIGNAL);
    if (n > 0) {
      c.off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // Full: EPOLLOUT's edge brings us back. Progress restarts the clock.
      if (c.off > before) SetDeadline(c, state_->now + options_.send_timeout);
      return;
    }
    Close(c);  // the client went away
    return;
  }
  Reply done = std::move(c.reply);
  c.reply = Reply{};
  if (done.stream != nullptr) {
    io::ScopedFd socket = std::move(c.fd);
    epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, socket.get(), nullptr);
    Close(c);
    done.stream(std::move(socket));
    return;
  }
  if (!done.keep_alive) {
    Close(c);
    return;
  }
  c.state = Conn::State::kReading;
  c.idle = true;
  SetDeadline(c, state_->now + options_.idle_timeout);
  // A pipelined request may be buffered, or in the socket already (no edge
  // will announce it): read on this round.
  state_->ready.push_back(c.id);
}

void HttpServer::Expire() {
  LoopState& s = *state_;
  if (s.accept_retry <= s.now) AcceptAll();
  while (!s.timers.empty() && s.timers.begin()->first <= s.now) {
    Conn& c = *s.conns.at(s.timers.begin()->second);
    SetDeadline(c, absl::InfiniteFuture());
    switch (c.state) {
      case Conn::State::kReading:
        if (c.idle) {
          Close(c);  // an idle kept-alive connection: closed quietly
        } else {
          Refuse(c, absl::DeadlineExceededError(
                        "request head not complete in time"));
        }
        break;
      case Conn::State::kDelayed:
        StartWrite(c);
        break;
      case Conn::State::kWriting:
        Close(c);  // accepted nothing for send_timeout
        break;
      case Conn::State::kHandling:
        break;
    }
  }
}

void HttpServer::SetDeadline(Conn& c, absl::Time deadline) {
  LoopState& s = *state_;
  if (c.deadline != absl::InfiniteFuture()) s.timers.erase({c.deadline, c.id});
  c.deadline = deadline;
  if (deadline != absl::InfiniteFuture()) s.timers.insert({deadline, c.id});
}

void HttpServer::Close(Conn& c) {
  LoopState& s = *state_;
  SetDeadline(c, absl::InfiniteFuture());
  // Closing the descriptor removes it from epoll; the id is never reused,
  // so a stale event for it finds nothing.
  s.conns.erase(c.id);  // destroys c
  connections_.store(static_cast<int>(s.conns.size()));
}

}  // namespace concurrency::http
