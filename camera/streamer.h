// Streamer: the MJPEG-over-HTTP camera server of the tutorial's thread-local
// lesson, as a real tool, and a drop-in for mjpg-streamer and ustreamer
// users.
//
// By default (Serving::kEventLoop) no thread is spent per viewer:
// //concurrency/http's HttpServer reads every request head in its event
// loop; a stream's response head is written there too, by the one HTTP
// writer, and its socket goes straight on to a StreamLoop, which writes each
// frame to every client's non-blocking socket from one thread. Short
// requests (/stats, snapshots, the page) run on the server's pool
// (`extra_threads`). The capture side is a Capturer (capturer.h): one thread
// reads the source, encodes each frame to JPEG once and publishes it to a
// FrameHub, only while somebody watches; a lost source gives NO SIGNAL
// frames while it is reopened.
//
// With Serving::kThreadPerStream (the tutorial's design, kept to compare) a
// stream instead gets a thread of its own, holding a ThreadSubscription (the
// tutorial's thread-local retriever) and sending with blocking writes.
// Either way a slow client skips frames and one that stops reading is
// dropped after `send_timeout`, never slowing the capture or anyone else.
//
// HTTP: `GET /` an HTML page (page.h); `/stream` and mjpg-streamer's
// `/?action=stream` multipart/x-mixed-replace; `/snapshot`, `/snapshot.jpg`
// and `/?action=snapshot` one JPEG; `/stats` JSON; ustreamer's `/state`.
// Every response, streams and refusals included, goes through one writer and
// one `Finish` (basic auth, CORS): 401 without the configured credentials,
// 503 past `max_clients` streams, and the HttpServer's 404, 405, 408 and 431.
//
// Thread-safety: `Stop()`, `StatsJson()`, `WaitForClients()` and the
// accessors may be called from any thread. `Stop()` (and the destructor)
// stops the capture, closes every stream and joins every thread; a capture
// call still hanging is waited for (grabber.h).
#ifndef CAMERA_STREAMER_H_
#define CAMERA_STREAMER_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "camera/capturer.h"
#include "camera/frame_hub.h"
#include "camera/frame_source.h"
#include "camera/rate_window.h"
#include "camera/stream_counts.h"
#include "camera/stream_loop.h"
#include "concurrency/http/credentials.h"
#include "concurrency/http/request.h"
#include "concurrency/http/response.h"
#include "concurrency/http/server.h"
#include "concurrency/io/scoped_fd.h"
#include "concurrency/thread_pool.h"

namespace camera {

// How long-lived streams are served (see camera/README.md for the
// measurements behind the default).
enum class Serving {
  kEventLoop,        // one thread, non-blocking sockets (StreamLoop)
  kThreadPerStream,  // a thread each, blocking sends, ThreadSubscription
};

struct StreamerOptions {
  std::string host = "127.0.0.1";
  int port = 9000;  // 0: an ephemeral port
  double fps = 30;
  int jpeg_quality = 40;  // the tutorial's IMWRITE_JPEG_QUALITY
  int max_clients = 100;
  int extra_threads = 8;  // pool threads for short requests
  // Sockets open in the HTTP server at once (reading a head, idle, or being
  // answered; streams are counted by max_clients): past it, 503.
  int max_connections = 4096;
  size_t max_header_bytes = 8192;
  absl::Duration header_timeout = absl::Seconds(5);
  absl::Duration send_timeout = absl::Seconds(10);
  // Each stream's kernel send buffer (SO_SNDBUF), fixed rather than the
  // kernel's autotuned up to 4 MiB: it bounds what a stalled client pins in
  // the kernel, and lets the stall be noticed within about a second. A few
  // frames at 640x480; raise it for high resolutions (a 4K JPEG is ~1 MiB).
  int stream_send_buffer = 256 << 10;
  Serving serving = Serving::kEventLoop;
  // HTTP basic auth on every URL unless empty (http::BasicAuthAdmits:
  // compared in constant time; never logged).
  concurrency::http::Credentials credentials;
  // A CORS Access-Control-Allow-Origin value for every response, or none.
  std::string allow_origin;
  // Encode at most this many of the `fps` frames captured per second
  // (0: all).
  double desired_fps = 0;
  // Do not send a frame identical to the previous one, at most this many in
  // a row (ustreamer's --drop-same-frames; 0: off).
  int drop_same_frames = 0;
  // A capture that gives no frame for this long counts as a lost source
  // (ustreamer's --device-timeout): NO SIGNAL frames, then reopening.
  absl::Duration device_timeout = absl::Seconds(1);
  // Threads encoding JPEGs (ustreamer's --workers); capturer.h.
  int encoders = 1;
};

class Streamer {
 public:
  static absl::StatusOr<std::unique_ptr<Streamer>> Start(
      std::unique_ptr<FrameSource> source, StreamerOptions options);
  ~Streamer();

  void Stop();
  int port() const { return server_.port(); }
  std::string url() const;

  // The /stats document.
  std::string StatsJson() const ABSL_LOCKS_EXCLUDED(mu_);
  // Blocks until exactly `n` streams are connected, or `timeout`.
  bool WaitForClients(int n, absl::Duration timeout) const
      ABSL_LOCKS_EXCLUDED(mu_);
  int64_t frames_captured() const { return capturer_.frames_captured(); }
  FrameHub& hub() { return hub_; }
  // Sockets open in the HTTP server (server.h).
  int connections() const { return server_.connections(); }

 private:
  struct Client {
    std::string peer;
    absl::Time connected;
    std::shared_ptr<StreamCounts> counts;  // written by whoever serves it
    RateWindow sent_rate;
    int fd = -1;  // borrowed, with kThreadPerStream: shut down by Stop()
  };
  class Slot;

  Streamer(std::unique_ptr<FrameSource> source, StreamerOptions options);
  void Route();
  // Whether the request carries the configured credentials (or none are).
  bool Authorized(const concurrency::http::HttpRequest& request) const;
  // Adds what every response carries (CORS).
  concurrency::http::HttpResponse Finish(
      concurrency::http::HttpResponse r) const;
  // `/`: the page, or 404 for an action that is not served.
  concurrency::http::HttpResponse Root(
      const concurrency::http::HttpRequest& request) const;
  // A stream's response: 503 past max_clients, or the multipart head with
  // the code that takes the socket on.
  concurrency::http::HttpResponse Stream(
      const concurrency::http::HttpRequest& request) ABSL_LOCKS_EXCLUDED(mu_);
  void StreamOnThisThread(int fd, StreamCounts& counts);
  concurrency::http::HttpResponse Snapshot();
  // ustreamer's /state.
  std::string StateJson() const ABSL_LOCKS_EXCLUDED(mu_);
  // On the capture thread, after each frame: wakes the event loop, and
  // feeds each client's frames sent to its rate window, at most every
  // 100 ms, so that senders never take mu_.
  void OnPublish(absl::Time captured) ABSL_LOCKS_EXCLUDED(mu_);
  void RemoveClient(int64_t id) ABSL_LOCKS_EXCLUDED(mu_);

  const StreamerOptions options_;
  FrameHub hub_;
  absl::Notification stopping_;
  std::atomic<bool> stopped_{false};

  mutable absl::Mutex mu_;
  std::map<int64_t, Client> clients_ ABSL_GUARDED_BY(mu_);  // by stream id
  int64_t next_client_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::Time clients_sampled_ ABSL_GUARDED_BY(mu_);

  std::unique_ptr<StreamLoop> loop_;  // with Serving::kEventLoop
  // With Serving::kThreadPerStream: a thread per stream.
  std::unique_ptr<concurrency::ThreadPool> stream_threads_;
  Capturer capturer_;
  concurrency::http::HttpServer server_;
};

}  // namespace camera

#endif  // CAMERA_STREAMER_H_
