#include "camera/streamer.h"

#include <sys/socket.h>

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "camera/mjpeg.h"
#include "camera/page.h"
#include "camera/thread_subscription.h"
#include "concurrency/io/read_write.h"

namespace camera {
namespace {

namespace http = ::concurrency::http;
namespace io = ::concurrency::io;

std::string JsonString(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out.push_back(c);
  }
  return out + "\"";
}

http::HttpServer::Options ServerOptions(const StreamerOptions& o) {
  http::HttpServer::Options server;
  server.host = o.host;
  server.port = o.port;
  server.threads = o.extra_threads;
  server.max_connections = o.max_connections;
  server.limits.max_head_bytes = o.max_header_bytes;
  server.limits.head_timeout = o.header_timeout;
  server.send_timeout = o.send_timeout;
  return server;
}

CaptureOptions CaptureOptionsOf(const StreamerOptions& o) {
  return {.fps = o.fps,
          .jpeg_quality = o.jpeg_quality,
          .desired_fps = o.desired_fps,
          .drop_same_frames = o.drop_same_frames,
          .device_timeout = o.device_timeout,
          .encoders = o.encoders};
}

}  // namespace

// A stream's place among max_clients: given back when dropped, unless
// handed to the event loop (whose on_close gives it back).
class Streamer::Slot {
 public:
  Slot(Streamer* s, int64_t id) : s_(s), id_(id) {}
  ~Slot() {
    if (id_ != 0) s_->RemoveClient(id_);
  }
  int64_t id() const { return id_; }
  void HandedOn() { id_ = 0; }

 private:
  Streamer* const s_;
  int64_t id_;
};

absl::StatusOr<std::unique_ptr<Streamer>> Streamer::Start(
    std::unique_ptr<FrameSource> source, StreamerOptions options) {
  if (options.max_clients < 1 || options.fps <= 0 || options.jpeg_quality < 1 ||
      options.jpeg_quality > 100 || options.desired_fps < 0 ||
      options.drop_same_frames < 0 || options.stream_send_buffer < 4096 ||
      options.device_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "need max_clients >= 1, fps > 0, jpeg_quality in [1, 100], "
        "desired_fps >= 0, drop_same_frames >= 0, device_timeout > 0, "
        "stream_send_buffer >= 4096");
  }
  std::unique_ptr<Streamer> s(
      new Streamer(std::move(source), std::move(options)));
  if (s->options_.serving == Serving::kEventLoop) {
    Streamer* self = s.get();
    absl::StatusOr<std::unique_ptr<StreamLoop>> loop =
        StreamLoop::Create(s->hub_, s->options_.send_timeout,
                           [self](int64_t id) { self->RemoveClient(id); });
    if (!loop.ok()) return loop.status();
    s->loop_ = *std::move(loop);
  }
  s->Route();
  if (absl::Status started = s->server_.Start(); !started.ok()) {
    return started;
  }
  s->capturer_.Start();
  return s;
}

Streamer::Streamer(std::unique_ptr<FrameSource> source, StreamerOptions options)
    : options_(std::move(options)),
      stream_threads_(options_.serving == Serving::kThreadPerStream
                          ? std::make_unique<concurrency::ThreadPool>(
                                options_.max_clients, "stream")
                          : nullptr),
      capturer_(std::move(source), CaptureOptionsOf(options_), hub_,
                [this](absl::Time captured) { OnPublish(captured); }),
      server_(ServerOptions(options_)) {}

Streamer::~Streamer() { Stop(); }

void Streamer::Route() {
  using RunOn = http::HttpServer::RunOn;
  auto guarded = [this](auto f) {
    return [this, f](const http::HttpRequest& request) {
      return Finish(Authorized(request) ? f(request)
                                        : http::BasicAuthChallenge("camera"));
    };
  };
  // A stream's handler only reserves its place and names the code that
  // takes the socket: it runs on the event loop, so a stream's socket goes
  // from the head-reading loop to its StreamLoop with no pool thread between.
  auto stream =
      guarded([this](const http::HttpRequest& r) { return Stream(r); });
  auto snapshot =
      guarded([this](const http::HttpRequest&) { return Snapshot(); });
  server_.Handle("GET", "/stream", stream, RunOn::kLoop);
  server_.Handle("GET", "/?action=stream", stream, RunOn::kLoop);
  for (const char* path : {"/snapshot", "/snapshot.jpg", "/?action=snapshot"}) {
    server_.Handle("GET", path, snapshot);
  }
  server_.Handle("GET", "/", guarded([this](const http::HttpRequest& r) {
                   return Root(r);
                 }));
  auto json = [](std::string body) {
    http::HttpResponse r;
    r.content_type = "application/json";
    r.headers.emplace_back("Cache-Control", "no-cache");
    r.body = std::move(body);
    return r;
  };
  server_.Handle("GET", "/stats",
                 guarded([this, json](const http::HttpRequest&) {
                   return json(StatsJson());
                 }));
  server_.Handle("GET", "/state",
                 guarded([this, json](const http::HttpRequest&) {
                   return json(StateJson());
                 }));
}

bool Streamer::Authorized(const http::HttpRequest& request) const {
  return http::BasicAuthAdmits(options_.credentials, request);
}

http::HttpResponse Streamer::Finish(http::HttpResponse r) const {
  if (!options_.allow_origin.empty()) {
    r.headers.emplace_back("Access-Control-Allow-Origin",
                           options_.allow_origin);
  }
  return r;
}

http::HttpResponse Streamer::Root(const http::HttpRequest& request) const {
  // Stream and snapshot actions have routes of their own.
  if (std::optional<absl::string_view> action = request.QueryParam("action")) {
    return http::TextResponse(
        404, absl::StrCat("unknown action '", *action,
                          "' (stream and snapshot are served)"));
  }
  http::HttpResponse r;
  r.content_type = "text/html; charset=utf-8";
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.body = StreamerPage(capturer_.State().source);
  return r;
}

void Streamer::Stop() {
  if (stopped_.exchange(true)) return;
  stopping_.Notify();
  hub_.Close();
  capturer_.Stop();
  // No new stream after this; streams not yet handed on are given back.
  server_.Stop();
  if (loop_ != nullptr) loop_->Stop();
  if (stream_threads_ != nullptr) {
    {
      // A blocked send returns at once rather than after send_timeout.
      absl::MutexLock l(&mu_);
      for (const auto& [id, c] : clients_) {
        if (c.fd >= 0) shutdown(c.fd, SHUT_RDWR);
      }
    }
    stream_threads_->Shutdown(/*wait=*/true);
  }
}

std::string Streamer::url() const {
  return absl::StrCat("http://", options_.host, ":", port(), "/");
}

void Streamer::OnPublish(absl::Time captured) {
  if (loop_ != nullptr) loop_->FrameReady();
  absl::MutexLock l(&mu_);
  if (captured - clients_sampled_ < absl::Milliseconds(100)) return;
  clients_sampled_ = captured;
  for (auto& [id, c] : clients_) {
    c.sent_rate.Sample(captured,
                       c.counts->sent.load(std::memory_order_relaxed));
  }
}

void Streamer::RemoveClient(int64_t id) {
  absl::MutexLock l(&mu_);
  clients_.erase(id);
}

http::HttpResponse Streamer::Stream(const http::HttpRequest& request) {
  std::shared_ptr<StreamCounts> counts;
  std::shared_ptr<Slot> slot;
  {
    absl::MutexLock l(&mu_);
    if (static_cast<int>(clients_.size()) >= options_.max_clients) {
      return http::TextResponse(
          503,
          absl::StrCat("at most ", options_.max_clients, " streams at once"));
    }
    const int64_t id = next_client_id_++;
    Client& c = clients_[id];
    c.peer = request.peer;
    c.connected = absl::Now();
    c.counts = counts = std::make_shared<StreamCounts>();
    c.sent_rate.Start(c.connected);
    slot = std::make_shared<Slot>(this, id);
  }
  http::HttpResponse r = MultipartResponse();
  r.stream = [this, slot, counts](io::ScopedFd socket) {
    const int sndbuf = options_.stream_send_buffer;
    setsockopt(socket.get(), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    if (loop_ != nullptr) {
      loop_->Add(std::move(socket), slot->id(), counts);
      slot->HandedOn();
      return;
    }
    {
      absl::MutexLock l(&mu_);
      auto it = clients_.find(slot->id());
      if (it != clients_.end()) it->second.fd = socket.get();
    }
    (void)stream_threads_->Schedule(
        [this, slot, counts, socket = std::move(socket)]() mutable {
          timeval tv = absl::ToTimeval(options_.send_timeout);
          setsockopt(socket.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
          if (io::SetBlocking(socket.get(), true, "stream").ok()) {
            StreamOnThisThread(socket.get(), *counts);
          }
          // Stop() must not shut down a descriptor closed and reused.
          absl::MutexLock l(&mu_);
          auto it = clients_.find(slot->id());
          if (it != clients_.end()) it->second.fd = -1;
        });
  };
  return r;
}

void Streamer::StreamOnThisThread(int fd, StreamCounts& counts) {
  absl::StatusOr<ThreadSubscription> sub = ThreadSubscription::Open(hub_);
  if (!sub.ok()) return;
  while (!stopping_.HasBeenNotified()) {
    std::shared_ptr<const Frame> frame = sub->Next(absl::Seconds(1));
    if (frame == nullptr) {
      if (hub_.closed()) return;
      continue;
    }
    const std::string head =
        MultipartPartHead(frame->jpeg.size(), frame->number);
    const absl::string_view part[] = {head, frame->jpeg, kPartEnd};
    if (!io::SendAll(fd, part, "stream part").ok()) {
      return;  // the client went away, or stopped reading for send_timeout
    }
    counts.Store(sub->delivered(), sub->skipped());
  }
}

http::HttpResponse Streamer::Snapshot() {
  std::shared_ptr<const Frame> frame = hub_.Latest();
  if (frame == nullptr || absl::Now() - frame->captured > absl::Seconds(1)) {
    // No fresh frame: capture runs only for subscribers, so become one.
    absl::StatusOr<ThreadSubscription> sub = ThreadSubscription::Open(hub_);
    if (sub.ok()) frame = sub->Next(absl::Seconds(5));
  }
  if (frame == nullptr) return http::TextResponse(503, "no frame available");
  http::HttpResponse r;
  r.content_type = "image/jpeg";
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.body = frame->jpeg;
  return r;
}

// Rates are windowed averages (rate_window.h): capture_fps over the last
// few seconds of capture, and per stream the frames sent per second.
std::string Streamer::StatsJson() const {
  const CaptureState cap = capturer_.State();
  absl::MutexLock l(&mu_);
  const absl::Time now = absl::Now();
  std::vector<std::string> streams;
  double sent_fps = 0;
  for (const auto& [id, c] : clients_) {
    const double fps = c.sent_rate.Rate(now);
    sent_fps += fps;
    streams.push_back(absl::StrFormat(
        "{\"id\": %d, \"peer\": %s, \"fps\": %.1f, \"frames_sent\": %d, "
        "\"frames_skipped\": %d, \"connected_s\": %.0f}",
        id, JsonString(c.peer), fps, c.counts->sent.load(),
        c.counts->skipped.load(), absl::ToDoubleSeconds(now - c.connected)));
  }
  if (!clients_.empty()) sent_fps /= static_cast<double>(clients_.size());
  return absl::StrFormat(
      "{\"source\": %s, \"online\": %s, \"offline_reason\": %s, "
      "\"recoveries\": %d, \"width\": %d, \"height\": %d, "
      "\"desired_fps\": %g, \"capture_fps\": %.1f, \"sent_fps\": %.1f, "
      "\"frames_captured\": %d, \"frames_read\": %d, "
      "\"skipped_for_desired_fps\": %d, \"dropped_same_frames\": %d, "
      "\"format\": \"%s\", \"skipped_corrupt\": %d, "
      "\"encoders\": %d, \"skipped_encoders_busy\": %d, "
      "\"skipped_late\": %d, \"encode_failures\": %d, "
      "\"clients\": %d, \"max_clients\": %d, "
      "\"last_error\": %s, \"streams\": [%s]}\n",
      JsonString(cap.source), cap.online ? "true" : "false",
      JsonString(cap.online ? "" : cap.last_error), cap.recoveries, cap.width,
      cap.height, options_.fps, cap.capture_fps, sent_fps, cap.frames_captured,
      cap.frames_read, cap.skipped_for_desired_fps, cap.dropped_same,
      cap.passthrough ? "mjpeg" : "raw", cap.skipped_corrupt, cap.encoders,
      cap.skipped_busy, cap.skipped_late, cap.encode_failures, clients_.size(),
      options_.max_clients, JsonString(cap.last_error),
      absl::StrJoin(streams, ", "));
}

std::string Streamer::StateJson() const {
  const CaptureState cap = capturer_.State();
  absl::MutexLock l(&mu_);
  std::vector<std::string> stat;
  for (const auto& [id, c] : clients_) {
    stat.push_back(absl::StrFormat(
        "\"%d\": {\"peer\": %s, \"frames_sent\": %d, \"frames_skipped\": %d}",
        id, JsonString(c.peer), c.counts->sent.load(),
        c.counts->skipped.load()));
  }
  return absl::StrFormat(
      "{\"ok\": true, \"result\": {\"encoder\": {\"type\": \"CPU\", "
      "\"quality\": %d}, \"source\": {\"resolution\": {\"width\": %d, "
      "\"height\": %d}, \"online\": %s, \"desired_fps\": %g, "
      "\"captured_fps\": %.1f}, \"stream\": {\"clients\": %d, "
      "\"clients_stat\": {%s}}}}\n",
      options_.jpeg_quality, cap.width, cap.height,
      cap.online ? "true" : "false", options_.fps, cap.capture_fps,
      clients_.size(), absl::StrJoin(stat, ", "));
}

bool Streamer::WaitForClients(int n, absl::Duration timeout) const {
  absl::MutexLock l(&mu_);
  auto done = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return static_cast<int>(clients_.size()) == n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
}

}  // namespace camera
