#include "camera/streamer.h"

#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "camera/mjpeg.h"
#include "camera/thread_subscription.h"
#include "concurrency/io/read_write.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

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
  // Streams hold a pool thread only when served a thread each.
  server.threads = o.extra_threads +
                   (o.serving == Serving::kThreadPerStream ? o.max_clients : 0);
  server.limits.max_head_bytes = o.max_header_bytes;
  server.limits.head_timeout = o.header_timeout;
  server.send_timeout = o.send_timeout;
  return server;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Streamer>> Streamer::Start(
    std::unique_ptr<FrameSource> source, StreamerOptions options) {
  if (options.max_clients < 1 || options.fps <= 0 || options.jpeg_quality < 1 ||
      options.jpeg_quality > 100 || options.desired_fps < 0 ||
      options.drop_same_frames < 0 ||
      options.device_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "need max_clients >= 1, fps > 0, jpeg_quality in [1, 100], "
        "desired_fps >= 0, drop_same_frames >= 0, device_timeout > 0");
  }
  std::unique_ptr<Streamer> s(
      new Streamer(std::move(source), std::move(options)));
  s->Route();
  if (absl::Status started = s->server_.Start(); !started.ok()) {
    return started;
  }
  s->capture_ = std::thread([p = s.get()] { p->CaptureLoop(); });
  return s;
}

Streamer::Streamer(std::unique_ptr<FrameSource> source, StreamerOptions options)
    : source_(std::move(source)),
      source_name_(source_->Describe()),
      grabber_(*source_),
      options_(std::move(options)),
      gate_(options_.fps, options_.desired_fps, options_.drop_same_frames),
      loop_(options_.serving == Serving::kEventLoop
                ? std::make_unique<StreamLoop>(
                      hub_, options_.send_timeout,
                      [this](int64_t id) { RemoveClient(id); })
                : nullptr),
      server_(ServerOptions(options_)) {}

Streamer::~Streamer() { Stop(); }

void Streamer::Route() {
  // mjpg-streamer's URLs are `/?action=...` on the page's own path, so `/`
  // takes the socket and decides.
  server_.HandleTakeover(
      "GET", "/",
      [this](const http::HttpRequest& request, io::ScopedFd socket) {
        Root(request, std::move(socket));
      });
  server_.HandleTakeover(
      "GET", "/stream",
      [this](const http::HttpRequest& request, io::ScopedFd socket) {
        if (!Authorized(request)) {
          (void)io::SendAll(socket.get(),
                            http::SerializeResponse(Finish(Unauthorized()),
                                                    http::Connection::kClose),
                            "401 to a stream client");
          return;
        }
        Stream(std::move(socket), request.peer);
      });
  auto guarded = [this](std::function<http::HttpResponse()> f) {
    return [this, f](const http::HttpRequest& request) {
      return Finish(Authorized(request) ? f() : Unauthorized());
    };
  };
  auto json = [](std::string body) {
    http::HttpResponse r;
    r.content_type = "application/json";
    r.headers.emplace_back("Cache-Control", "no-cache");
    r.body = std::move(body);
    return r;
  };
  for (const char* path : {"/snapshot", "/snapshot.jpg"}) {
    server_.Handle("GET", path, guarded([this] { return Snapshot(); }));
  }
  server_.Handle("GET", "/stats",
                 guarded([this, json] { return json(StatsJson()); }));
  server_.Handle("GET", "/state",
                 guarded([this, json] { return json(StateJson()); }));
}

bool Streamer::Authorized(const http::HttpRequest& request) const {
  if (options_.user.empty()) return true;
  absl::string_view header = request.Header("authorization");
  std::string given;
  if (!absl::ConsumePrefix(&header, "Basic ") ||
      !absl::Base64Unescape(header, &given)) {
    return false;
  }
  // Constant time in what is given: every byte of the expected string is
  // compared, whatever the first difference.
  const std::string expected =
      absl::StrCat(options_.user, ":", options_.password);
  unsigned diff = given.size() != expected.size();
  for (size_t i = 0; i < expected.size(); ++i) {
    const char g = i < given.size() ? given[i] : '\0';
    diff |= static_cast<unsigned char>(g ^ expected[i]);
  }
  return diff == 0;
}

http::HttpResponse Streamer::Unauthorized() {
  http::HttpResponse r = http::TextResponse(401, "authentication required");
  r.headers.emplace_back("WWW-Authenticate",
                         "Basic realm=\"camera\", charset=\"UTF-8\"");
  return r;
}

http::HttpResponse Streamer::Finish(http::HttpResponse r) const {
  if (!options_.allow_origin.empty()) {
    r.headers.emplace_back("Access-Control-Allow-Origin",
                           options_.allow_origin);
  }
  return r;
}

void Streamer::Root(const http::HttpRequest& request, io::ScopedFd socket) {
  std::string action;
  for (absl::string_view param : absl::StrSplit(request.query, '&')) {
    if (absl::ConsumePrefix(&param, "action=")) action = std::string(param);
  }
  if (Authorized(request) && action == "stream") {
    Stream(std::move(socket), request.peer);
    return;
  }
  http::HttpResponse r;
  if (!Authorized(request)) {
    r = Unauthorized();
  } else if (action == "snapshot") {
    r = Snapshot();
  } else if (action.empty()) {
    r.content_type = "text/html; charset=utf-8";
    r.headers.emplace_back("Cache-Control", "no-cache");
    r.body = Page();
  } else {
    r = http::TextResponse(404,
                           absl::StrCat("unknown action '", action,
                                        "' (stream and snapshot are served)"));
  }
  (void)io::SendAll(
      socket.get(),
      http::SerializeResponse(Finish(std::move(r)), http::Connection::kClose),
      "response to /");
}

void Streamer::Stop() {
  if (stopped_.exchange(true)) return;
  stopping_.Notify();
  hub_.Close();
  if (capture_.joinable()) capture_.join();
  // Every handler has returned once the server has stopped; streams in the
  // event loop are closed after that.
  server_.Stop();
  if (loop_ != nullptr) loop_->Stop();
}

std::string Streamer::url() const {
  return absl::StrCat("http://", options_.host, ":", port(), "/");
}

bool Streamer::CaptureOne(int64_t* number, Grabber::Call call) {
  absl::StatusOr<cv::Mat> frame = grabber_.Grab(call, options_.device_timeout);
  if (!frame.ok()) {
    absl::MutexLock l(&mu_);
    last_error_ = frame.status().ToString();
    return false;
  }
  frames_read_.fetch_add(1);
  if (gate_.Skip(*frame)) return true;
  std::shared_ptr<Frame> f = Encode(*frame, number);
  {
    absl::MutexLock l(&mu_);
    SampleClientRates(f->captured);
    width_ = frame->cols;
    height_ = frame->rows;
    // After a pause (no viewers, no signal) the rate starts afresh, from
    // this frame.
    if (!capture_rate_.started() ||
        f->captured - last_capture_ > absl::Seconds(1)) {
      capture_rate_.Start(f->captured, captured_.load() + 1);
    } else {
      capture_rate_.Sample(f->captured, captured_.load() + 1);
    }
    last_capture_ = f->captured;
    if (!online_) {  // back before the frame goes out
      online_ = true;
      ++recoveries_;
    }
  }
  PublishFrame(std::move(f));
  captured_.fetch_add(1);
  return true;
}

std::shared_ptr<Frame> Streamer::Encode(const cv::Mat& picture,
                                        int64_t* number) const {
  std::vector<uchar> jpeg;
  cv::imencode(".jpg", picture, jpeg,
               {cv::IMWRITE_JPEG_QUALITY, options_.jpeg_quality});
  auto f = std::make_shared<Frame>();
  f->number = ++*number;
  f->captured = absl::Now();
  f->jpeg.assign(jpeg.begin(), jpeg.end());
  return f;
}

void Streamer::PublishFrame(std::shared_ptr<Frame> frame) {
  hub_.Publish(std::move(frame));
  if (loop_ != nullptr) loop_->FrameReady();
}

void Streamer::SampleClientRates(absl::Time now) {
  if (now - clients_sampled_ < absl::Milliseconds(100)) return;
  clients_sampled_ = now;
  for (auto& [id, c] : clients_) {
    c.sent_rate.Sample(now, c.counts->sent.load(std::memory_order_relaxed));
  }
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
    if (!CaptureOne(&number)) {
      RecoverSource(&number);
      next = absl::Now();
      continue;
    }
    // Pace to --fps; after falling behind, restart the schedule from now
    // rather than bursting.
    next += period;
    absl::Time now = absl::Now();
    if (next < now - period) next = now;
    if (next > now) stopping_.WaitForNotificationWithTimeout(next - now);
  }
}

void Streamer::PublishNoSignal(int64_t* number) {
  int width, height;
  std::string reason;
  {
    absl::MutexLock l(&mu_);
    width = width_ > 0 ? width_ : 640;
    height = height_ > 0 ? height_ : 480;
    reason = last_error_;
  }
  // Mid-grey: not the test pattern's black/white frame-number strip.
  cv::Mat frame(height, width, CV_8UC3, cv::Scalar(96, 96, 96));
  const double scale = std::max(0.5, width / 320.0);
  int baseline = 0;
  const cv::Size size = cv::getTextSize("NO SIGNAL", cv::FONT_HERSHEY_SIMPLEX,
                                        scale, 2, &baseline);
  cv::putText(frame, "NO SIGNAL",
              {(width - size.width) / 2, (height + size.height) / 2},
              cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(255, 255, 255), 2);
  cv::putText(frame, reason.substr(0, 60), {8, height - 12},
              cv::FONT_HERSHEY_SIMPLEX, scale / 3, cv::Scalar(230, 230, 230),
              1);
  std::shared_ptr<Frame> f = Encode(frame, number);
  {
    absl::MutexLock l(&mu_);
    SampleClientRates(f->captured);
  }
  PublishFrame(std::move(f));
}

// Streams stay open: they get a NO SIGNAL frame about once a second while
// the source is reopened with exponential backoff, until it gives a frame
// again (then capture goes on as before) or the streamer stops.
void Streamer::RecoverSource(int64_t* number) {
  {
    absl::MutexLock l(&mu_);
    online_ = false;
  }
  absl::Duration backoff = kFirstReopenDelay;
  absl::Time next_try = absl::Now() + backoff;
  while (!stopping_.HasBeenNotified()) {
    PublishNoSignal(number);
    const absl::Time next_frame = absl::Now() + absl::Seconds(1);
    while (!stopping_.HasBeenNotified() && absl::Now() < next_frame) {
      if (absl::Now() >= next_try) {
        // While a capture hangs, this waits for it rather than reopening
        // under it (grabber.h).
        if (CaptureOne(number, Grabber::Call::kReopenThenNext)) return;
        backoff = std::min(2 * backoff, kMaxReopenDelay);
        next_try = absl::Now() + backoff;
      }
      stopping_.WaitForNotificationWithTimeout(std::min(next_frame, next_try) -
                                               absl::Now());
    }
  }
}

std::pair<int64_t, std::shared_ptr<StreamCounts>> Streamer::AddClient(
    const std::string& peer) {
  absl::MutexLock l(&mu_);
  if (static_cast<int>(clients_.size()) >= options_.max_clients) {
    return {0, nullptr};
  }
  int64_t id = next_client_id_++;
  Client& c = clients_[id];
  c.peer = peer;
  c.connected = absl::Now();
  c.counts = std::make_shared<StreamCounts>();
  c.sent_rate.Start(c.connected);
  return {id, c.counts};
}

void Streamer::RemoveClient(int64_t id) {
  absl::MutexLock l(&mu_);
  clients_.erase(id);
}

void Streamer::Stream(io::ScopedFd socket, const std::string& peer) {
  // A fixed send buffer of some frames (not the kernel's autotuned up to
  // 4 MiB) bounds what a stalled client pins in the kernel and lets the
  // stall be noticed within a second or so.
  int sndbuf = 256 << 10;
  setsockopt(socket.get(), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  auto [id, counts] = AddClient(peer);
  if (id == 0) {
    (void)io::SendAll(
        socket.get(),
        http::SerializeResponse(
            http::TextResponse(503,
                               absl::StrCat("at most ", options_.max_clients,
                                            " streams at once")),
            http::Connection::kClose),
        "503 to a stream client");
    return;
  }
  if (!io::SendAll(socket.get(), MultipartResponseHead(), "stream head").ok()) {
    RemoveClient(id);
    return;
  }
  if (loop_ != nullptr) {
    loop_->Add(std::move(socket), id, counts);  // the event loop owns it now
    return;
  }
  StreamOnThisThread(socket.get(), *counts);
  RemoveClient(id);
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
      "\"clients\": %d, \"max_clients\": %d, "
      "\"last_error\": %s, \"streams\": [%s]}\n",
      JsonString(source_name_), online_ ? "true" : "false",
      JsonString(online_ ? "" : last_error_), recoveries_, width_, height_,
      options_.fps, capture_rate_.Rate(now), sent_fps, captured_.load(),
      frames_read_.load(), gate_.skipped_for_desired_fps(),
      gate_.dropped_same(), clients_.size(), options_.max_clients,
      JsonString(last_error_), absl::StrJoin(streams, ", "));
}

std::string Streamer::StateJson() const {
  absl::MutexLock l(&mu_);
  const double fps = capture_rate_.Rate(absl::Now());
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
      options_.jpeg_quality, width_, height_, online_ ? "true" : "false",
      options_.fps, fps, clients_.size(), absl::StrJoin(stat, ", "));
}

bool Streamer::WaitForClients(int n, absl::Duration timeout) const {
  absl::MutexLock l(&mu_);
  auto done = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return static_cast<int>(clients_.size()) == n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
}

// The picture and, under it, the figures a person looks for, refreshed once
// a second from /stats (which stays JSON for programs).
std::string Streamer::Page() const {
  return absl::StrCat(R"(<!doctype html>
<html><head><meta charset="utf-8"><title>camera streamer</title>
<style>
body{font-family:sans-serif;margin:1em}
table{border-collapse:collapse;margin:.5em 0}
td,th{padding:.15em .8em;text-align:left;border-bottom:1px solid #ddd}
th{background:#f4f4f4}.off{color:#b00;font-weight:bold}
</style>
</head><body>
<h1>camera streamer</h1>
<img id="stream" src="/stream" alt="live stream">
<table id="panel">
<tr><th>source</th><td id="source">)",
                      source_name_, R"(</td></tr>
<tr><th>resolution</th><td id="resolution">-</td></tr>
<tr><th>signal</th><td id="online">-</td></tr>
<tr><th>capture fps</th><td id="capture_fps">-</td></tr>
<tr><th>sent fps (per client)</th><td id="sent_fps">-</td></tr>
<tr><th>frames captured</th><td id="frames">0</td></tr>
<tr><th>clients</th><td id="clients">0</td></tr>
</table>
<table id="streams"><thead><tr><th>client</th><th>fps</th><th>skipped</th>
<th>connected</th></tr></thead><tbody></tbody></table>
<p>Rates are averages over the last 3 seconds. JSON: <a href="/stats">/stats</a>.</p>
<script>
function set(id, text) { document.getElementById(id).textContent = text; }
function since(s) {
  return s < 60 ? s + ' s' : Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
}
async function stats() {
  try {
    const s = await (await fetch('/stats')).json();
    set('source', s.source);
    set('resolution', s.width + ' x ' + s.height);
    const online = document.getElementById('online');
    online.textContent = s.online ? 'online' : 'NO SIGNAL: ' + s.offline_reason;
    online.className = s.online ? '' : 'off';
    set('capture_fps', s.capture_fps.toFixed(1) + ' (desired ' + s.desired_fps + ')');
    set('sent_fps', s.sent_fps.toFixed(1));
    set('frames', s.frames_captured);
    set('clients', s.clients + ' of at most ' + s.max_clients);
    const body = document.querySelector('#streams tbody');
    body.replaceChildren(...s.streams.map(c => {
      const tr = document.createElement('tr');
      for (const v of [c.peer, c.fps.toFixed(1), c.frames_skipped,
                       since(c.connected_s)]) {
        const td = document.createElement('td');
        td.textContent = v;
        tr.appendChild(td);
      }
      return tr;
    }));
  } catch (e) {}
  setTimeout(stats, 1000);
}
stats();
</script>
</body></html>
)");
}

}  // namespace camera
