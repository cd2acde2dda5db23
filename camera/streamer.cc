#include "camera/streamer.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "camera/http.h"
#include "camera/thread_subscription.h"
#include "opencv2/imgcodecs.hpp"

namespace camera {
namespace {

std::string JsonString(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out.push_back(c);
  }
  return out + "\"";
}

// Sends the part head, the JPEG and the trailing CRLF in one sendmsg (no
// copy of the JPEG per client), finishing partial writes.
bool SendPart(int fd, const std::string& head, const std::string& jpeg) {
  static const char kCrlf[] = "\r\n";
  iovec iov[3] = {{const_cast<char*>(head.data()), head.size()},
                  {const_cast<char*>(jpeg.data()), jpeg.size()},
                  {const_cast<char*>(kCrlf), 2}};
  iovec* v = iov;
  int count = 3;
  while (count > 0) {
    msghdr msg{};
    msg.msg_iov = v;
    msg.msg_iovlen = static_cast<size_t>(count);
    ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    size_t left = static_cast<size_t>(n);
    while (count > 0 && left >= v->iov_len) {
      left -= v->iov_len;
      ++v;
      --count;
    }
    if (count > 0) {
      v->iov_base = static_cast<char*>(v->iov_base) + left;
      v->iov_len -= left;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Streamer>> Streamer::Start(
    std::unique_ptr<FrameSource> source, StreamerOptions options) {
  if (options.max_clients < 1 || options.fps <= 0 || options.jpeg_quality < 1 ||
      options.jpeg_quality > 100) {
    return absl::InvalidArgumentError(
        "need --max_clients >= 1, --fps > 0, --quality in [1, 100]");
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* list = nullptr;
  const std::string port = absl::StrCat(options.port);
  if (int rc = getaddrinfo(options.host.c_str(), port.c_str(), &hints, &list);
      rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--host=", options.host, ": ", gai_strerror(rc)));
  }
  int fd = socket(list->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || bind(fd, list->ai_addr, list->ai_addrlen) != 0 ||
      listen(fd, 1024) != 0) {
    absl::Status s = absl::ErrnoToStatus(
        errno, absl::StrCat("listen on ", options.host, ":", options.port));
    freeaddrinfo(list);
    if (fd >= 0) close(fd);
    return s;
  }
  freeaddrinfo(list);
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int bound = addr.ss_family == AF_INET6
                  ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                  : ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  int wake[2];
  if (pipe2(wake, O_CLOEXEC) != 0) {
    close(fd);
    return absl::ErrnoToStatus(errno, "pipe2");
  }
  return std::unique_ptr<Streamer>(new Streamer(
      std::move(source), std::move(options), fd, bound, wake[0], wake[1]));
}

Streamer::Streamer(std::unique_ptr<FrameSource> source, StreamerOptions options,
                   int listen_fd, int port, int wake_read, int wake_write)
    : source_(std::move(source)),
      options_(std::move(options)),
      listen_fd_(listen_fd),
      port_(port),
      wake_read_(wake_read),
      wake_write_(wake_write),
      loop_(options_.serving == Serving::kEventLoop
                ? std::make_unique<StreamLoop>(
                      hub_, options_.send_timeout,
                      [this](int64_t id, int64_t sent, int64_t skipped) {
                        absl::MutexLock l(&mu_);
                        auto it = clients_.find(id);
                        if (it == clients_.end()) return;
                        it->second.sent = sent;
                        it->second.skipped = skipped;
                      },
                      [this](int64_t id) {
                        absl::MutexLock l(&mu_);
                        clients_.erase(id);
                      })
                : nullptr),
      pool_(options_.max_clients + options_.extra_threads, "http"),
      capture_([this] { CaptureLoop(); }),
      acceptor_([this] { AcceptLoop(); }) {}

Streamer::~Streamer() { Stop(); }

void Streamer::Stop() {
  if (stopped_.exchange(true)) return;
  stopping_.Notify();
  hub_.Close();
  char b = 0;
  (void)!write(wake_write_, &b, 1);
  acceptor_.join();
  capture_.join();
  if (loop_ != nullptr) loop_->Stop();
  {
    absl::MutexLock l(&mu_);
    for (const auto& [fd, unused] : open_fds_) shutdown(fd, SHUT_RDWR);
  }
  pool_.Shutdown(/*wait=*/true);
  close(listen_fd_);
  close(wake_read_);
  close(wake_write_);
}

std::string Streamer::url() const {
  return absl::StrCat("http://", options_.host, ":", port_, "/");
}

void Streamer::CaptureLoop() {
  const absl::Duration period = absl::Seconds(1.0 / options_.fps);
  absl::Time next = absl::Now();
  int64_t number = 0;
  while (!stopping_.HasBeenNotified()) {
    // Nobody watching: no capture, no encoding.
    if (!hub_.WaitForSubscribers(absl::Milliseconds(200))) {
      next = absl::Now();
      continue;
    }
    absl::StatusOr<cv::Mat> frame = source_->Next();
    if (!frame.ok()) {
      {
        absl::MutexLock l(&mu_);
        last_error_ = frame.status().ToString();
      }
      stopping_.WaitForNotificationWithTimeout(absl::Seconds(1));
      continue;
    }
    std::vector<uchar> jpeg;
    cv::imencode(".jpg", *frame, jpeg,
                 {cv::IMWRITE_JPEG_QUALITY, options_.jpeg_quality});
    auto f = std::make_shared<Frame>();
    f->number = ++number;
    f->captured = absl::Now();
    f->jpeg.assign(jpeg.begin(), jpeg.end());
    {
      absl::MutexLock l(&mu_);
      width_ = frame->cols;
      height_ = frame->rows;
      recent_.push_back(f->captured);
      while (recent_.size() > 61) recent_.pop_front();
    }
    hub_.Publish(std::move(f));
    if (loop_ != nullptr) loop_->FrameReady();
    captured_.fetch_add(1);
    // Pace to --fps; after falling behind, restart the schedule from now
    // rather than bursting.
    next += period;
    absl::Time now = absl::Now();
    if (next < now - period) next = now;
    if (next > now) stopping_.WaitForNotificationWithTimeout(next - now);
  }
}

void Streamer::AcceptLoop() {
  while (!stopping_.HasBeenNotified()) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_read_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents != 0) return;
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len,
                     SOCK_CLOEXEC);
    if (fd < 0) continue;
    char host[NI_MAXHOST] = "?", serv[NI_MAXSERV] = "?";
    getnameinfo(reinterpret_cast<sockaddr*>(&addr), len, host, sizeof host,
                serv, sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV);
    std::string peer = absl::StrCat(host, ":", serv);
    {
      absl::MutexLock l(&mu_);
      open_fds_[fd] = 1;
    }
    if (!pool_.Submit([this, fd, peer] { Handle(fd, peer); }).ok()) {
      absl::MutexLock l(&mu_);
      open_fds_.erase(fd);
      close(fd);
    }
  }
}

void Streamer::Handle(int fd, std::string peer) {
  timeval tv = absl::ToTimeval(options_.send_timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  // A fixed send buffer of some frames (not the kernel's autotuned up to
  // 4 MiB) bounds what a stalled client pins in the kernel and lets the
  // stall be noticed within a second or so.
  int sndbuf = 256 << 10;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  HttpError error{0, ""};
  absl::StatusOr<HttpRequest> request =
      ReadRequestHead(fd, options_.max_header_bytes,
                      absl::Now() + options_.header_timeout, &error);
  if (!request.ok()) {
    if (error.status != 0) {
      SendAll(fd, HttpResponse(error.status, "text/plain",
                               absl::StrCat(error.message, "\n")));
    }
  } else if (request->method != "GET") {
    SendAll(fd, HttpResponse(405, "text/plain", "only GET is served\n"));
  } else if (request->path == "/") {
    SendAll(fd, HttpResponse(200, "text/html; charset=utf-8", Page()));
  } else if (request->path == "/stream") {
    if (Stream(fd, peer)) {  // the event loop owns the socket now
      absl::MutexLock l(&mu_);
      open_fds_.erase(fd);
      return;
    }
  } else if (request->path == "/snapshot.jpg") {
    Snapshot(fd);
  } else if (request->path == "/stats") {
    SendAll(fd, HttpResponse(200, "application/json", StatsJson()));
  } else {
    SendAll(fd, HttpResponse(404, "text/plain",
                             absl::StrCat("no ", request->path, " here\n")));
  }
  {
    absl::MutexLock l(&mu_);
    open_fds_.erase(fd);
  }
  close(fd);
}

bool Streamer::Stream(int fd, const std::string& peer) {
  int64_t id;
  {
    absl::MutexLock l(&mu_);
    if (static_cast<int>(clients_.size()) >= options_.max_clients) {
      id = 0;
    } else {
      id = next_client_id_++;
      clients_[id] = Client{peer};
    }
  }
  if (id == 0) {
    SendAll(fd, HttpResponse(503, "text/plain",
                             absl::StrCat("at most ", options_.max_clients,
                                          " streams at once\n")));
    return false;
  }
  if (loop_ != nullptr) {
    if (SendAll(fd, MultipartResponseHead())) {
      loop_->Add(fd, id);
      return true;
    }
    absl::MutexLock l(&mu_);
    clients_.erase(id);
    return false;
  }
  absl::StatusOr<ThreadSubscription> sub = ThreadSubscription::Open(hub_);
  if (sub.ok() && SendAll(fd, MultipartResponseHead())) {
    while (!stopping_.HasBeenNotified()) {
      std::shared_ptr<const Frame> frame = sub->Next(absl::Seconds(1));
      if (frame == nullptr) {
        if (hub_.closed()) break;
        continue;
      }
      if (!SendPart(fd, MultipartPartHead(frame->jpeg.size(), frame->number),
                    frame->jpeg)) {
        break;  // the client went away, or stopped reading for send_timeout
      }
      absl::MutexLock l(&mu_);
      clients_[id].sent = sub->delivered();
      clients_[id].skipped = sub->skipped();
    }
  }
  absl::MutexLock l(&mu_);
  clients_.erase(id);
  return false;
}

void Streamer::Snapshot(int fd) {
  std::shared_ptr<const Frame> frame = hub_.Latest();
  if (frame == nullptr || absl::Now() - frame->captured > absl::Seconds(1)) {
    // No fresh frame: capture runs only for subscribers, so become one.
    absl::StatusOr<ThreadSubscription> sub = ThreadSubscription::Open(hub_);
    if (sub.ok()) frame = sub->Next(absl::Seconds(5));
  }
  if (frame == nullptr) {
    SendAll(fd, HttpResponse(503, "text/plain", "no frame available\n"));
    return;
  }
  SendAll(fd, HttpResponse(200, "image/jpeg", frame->jpeg));
}

std::string Streamer::StatsJson() const {
  absl::MutexLock l(&mu_);
  double fps = 0;
  if (recent_.size() >= 2) {
    fps = static_cast<double>(recent_.size() - 1) /
          absl::ToDoubleSeconds(recent_.back() - recent_.front());
  }
  std::vector<std::string> streams;
  for (const auto& [id, c] : clients_) {
    streams.push_back(
        absl::StrFormat("{\"id\": %d, \"peer\": %s, \"frames_sent\": %d, "
                        "\"frames_skipped\": %d}",
                        id, JsonString(c.peer), c.sent, c.skipped));
  }
  return absl::StrFormat(
      "{\"source\": %s, \"width\": %d, \"height\": %d, \"capture_fps\": %.1f, "
      "\"frames_captured\": %d, \"clients\": %d, \"max_clients\": %d, "
      "\"last_error\": %s, \"streams\": [%s]}\n",
      JsonString(source_->Describe()), width_, height_, fps, captured_.load(),
      clients_.size(), options_.max_clients, JsonString(last_error_),
      absl::StrJoin(streams, ", "));
}

bool Streamer::WaitForClients(int n, absl::Duration timeout) const {
  absl::MutexLock l(&mu_);
  auto done = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return static_cast<int>(clients_.size()) == n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
}

std::string Streamer::Page() const {
  return absl::StrCat(R"(<!doctype html>
<html><head><meta charset="utf-8"><title>camera streamer</title>
<style>body{font-family:sans-serif;margin:1em}pre{background:#eee;padding:.5em}</style>
</head><body>
<h1>camera streamer</h1>
<p>source: )",
                      source_->Describe(), R"(</p>
<img id="stream" src="/stream" alt="live stream">
<pre id="stats">loading stats...</pre>
<script>
async function stats() {
  try {
    const r = await fetch('/stats');
    document.getElementById('stats').textContent =
        JSON.stringify(await r.json(), null, 1);
  } catch (e) {}
  setTimeout(stats, 1000);
}
stats();
</script>
</body></html>
)");
}

}  // namespace camera
