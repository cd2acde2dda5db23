// Streamer: the MJPEG-over-HTTP camera server of the tutorial's thread-local
// lesson, as a real tool. (With Serving::kThreadPerStream, as below; the
// default, Serving::kEventLoop, hands each stream to a StreamLoop after its
// response head instead: one thread writes the shared frame to every
// client's non-blocking socket.)
//
// One capture thread reads the FrameSource at --fps, encodes each frame to
// JPEG once, and publishes it to a FrameHub; it stops encoding while nobody
// watches. An acceptor thread hands each connection to the project's
// ThreadPool. A `/stream` client occupies one pool thread for its whole
// stream, holding a ThreadSubscription (the tutorial's thread-local
// retriever) and sending the newest frame it has not sent yet with blocking
// writes: a slow client skips frames and, if it stops reading altogether, is
// dropped after `send_timeout`, never slowing the capture or anyone else.
// Requests are read, routed and answered by //concurrency/http's HttpServer;
// `/stream` takes its socket over.
// (Why a thread per stream rather than an event loop over non-blocking
// sockets: see camera/README.md, measured.)
//
// HTTP: `GET /` an HTML page showing the stream and live stats; `GET
// /stream` multipart/x-mixed-replace; `GET /snapshot.jpg` one JPEG; `GET
// /stats` JSON. Other paths 404, other methods 405, a request head over
// `max_header_bytes` 431, one not complete within `header_timeout` 408, a
// stream beyond `max_clients` 503. Client disconnects at any point are
// normal (no SIGPIPE: every send uses MSG_NOSIGNAL).
//
// A lost source is not a dead stream: when a capture fails, or gives no
// frame within `device_timeout` (the Grabber runs captures on a thread of
// its own so that one that hangs can be waited out), open streams get a NO
// SIGNAL frame about once a second while the source is reopened with
// backoff; /stats shows `online: false` and why, and streaming resumes on
// the same connections when frames come again.
//
// `Stop()` (and the destructor) stops the capture, closes the hub, shuts
// down every client socket so that blocked sends return, and joins every
// thread; a capture call still hanging is waited for (grabber.h).
#ifndef CAMERA_STREAMER_H_
#define CAMERA_STREAMER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "camera/frame_gate.h"
#include "camera/frame_hub.h"
#include "camera/frame_source.h"
#include "camera/grabber.h"
#include "camera/rate_window.h"
#include "camera/stream_counts.h"
#include "camera/stream_loop.h"
#include "concurrency/http/request.h"
#include "concurrency/http/response.h"
#include "concurrency/http/server.h"
#include "concurrency/io/scoped_fd.h"

namespace camera {

// How long-lived streams are served (see camera/README.md for the
// measurements behind the default).
enum class Serving {
  kEventLoop,        // one thread, non-blocking sockets (StreamLoop)
  kThreadPerStream,  // a pool thread each, blocking sends, ThreadSubscription
};

struct StreamerOptions {
  std::string host = "127.0.0.1";
  int port = 9000;  // 0: an ephemeral port
  double fps = 30;
  int jpeg_quality = 40;  // the tutorial's IMWRITE_JPEG_QUALITY
  int max_clients = 100;
  int extra_threads = 8;  // for short requests while streams hold threads
  size_t max_header_bytes = 8192;
  absl::Duration header_timeout = absl::Seconds(5);
  absl::Duration send_timeout = absl::Seconds(10);
  Serving serving = Serving::kEventLoop;
  // HTTP basic auth on every URL when `user` is set (compared in constant
  // time; never logged).
  std::string user;
  std::string password;
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
  int64_t frames_captured() const { return captured_.load(); }
  FrameHub& hub() { return hub_; }

 private:
  struct Client {
    std::string peer;
    absl::Time connected;
    std::shared_ptr<StreamCounts> counts;  // written by whoever serves it
    RateWindow sent_rate;
  };
  // Feeds each client's frames sent to its rate window, at most every
  // 100 ms: on the capture thread, so that senders never take mu_.
  void SampleClientRates(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // `picture` as a JPEG frame numbered ++*number, captured now.
  std::shared_ptr<Frame> Encode(const cv::Mat& picture, int64_t* number) const;
  // Publishes a frame to the hub and the event loop.
  void PublishFrame(std::shared_ptr<Frame> frame) ABSL_LOCKS_EXCLUDED(mu_);

  Streamer(std::unique_ptr<FrameSource> source, StreamerOptions options);
  void Route();
  // Whether the request carries the configured credentials (or none are).
  bool Authorized(const concurrency::http::HttpRequest& request) const;
  // The 401 that asks for them.
  static concurrency::http::HttpResponse Unauthorized();
  // Adds what every response carries (CORS).
  concurrency::http::HttpResponse Finish(
      concurrency::http::HttpResponse r) const;
  // `/`: the page, or mjpg-streamer's `?action=stream|snapshot`.
  void Root(const concurrency::http::HttpRequest& request,
            concurrency::io::ScopedFd socket);
  // ustreamer's /state.
  std::string StateJson() const ABSL_LOCKS_EXCLUDED(mu_);
  void CaptureLoop();

  // After a failed capture: NO SIGNAL frames and reopening, until a frame.
  void RecoverSource(int64_t* number);
  void PublishNoSignal(int64_t* number) ABSL_LOCKS_EXCLUDED(mu_);
  static constexpr absl::Duration kFirstReopenDelay = absl::Milliseconds(250);
  static constexpr absl::Duration kMaxReopenDelay = absl::Seconds(5);
  // Publishes one captured frame, encoded; false if the source failed or
  // gave nothing within device_timeout.
  bool CaptureOne(int64_t* number, Grabber::Call call = Grabber::Call::kNext);
  // GET /stream: takes the socket (to the event loop or this pool thread).
  void Stream(concurrency::io::ScopedFd socket, const std::string& peer);
  void StreamOnThisThread(int fd, StreamCounts& counts);
  // A new stream's id and counts, or id 0 past max_clients.
  std::pair<int64_t, std::shared_ptr<StreamCounts>> AddClient(
      const std::string& peer) ABSL_LOCKS_EXCLUDED(mu_);
  void RemoveClient(int64_t id) ABSL_LOCKS_EXCLUDED(mu_);
  concurrency::http::HttpResponse Snapshot();
  std::string Page() const;

  std::unique_ptr<FrameSource> source_;
  const std::string source_name_;  // source_->Describe()
  Grabber grabber_;                // the only caller of source_
  const StreamerOptions options_;
  FrameHub hub_;
  absl::Notification stopping_;
  std::atomic<int64_t> captured_{0};
  std::atomic<bool> stopped_{false};

  mutable absl::Mutex mu_;
  std::map<int64_t, Client> clients_ ABSL_GUARDED_BY(mu_);  // by stream id
  int64_t next_client_id_ ABSL_GUARDED_BY(mu_) = 1;
  RateWindow capture_rate_ ABSL_GUARDED_BY(mu_);
  absl::Time clients_sampled_ ABSL_GUARDED_BY(mu_);
  FrameGate gate_;  // Skip() on the capture thread only
  std::atomic<int64_t> frames_read_{0};
  absl::Time last_capture_ ABSL_GUARDED_BY(mu_);
  std::string last_error_ ABSL_GUARDED_BY(mu_);
  bool online_ ABSL_GUARDED_BY(mu_) = true;
  int64_t recoveries_ ABSL_GUARDED_BY(mu_) = 0;
  int width_ ABSL_GUARDED_BY(mu_) = 0;
  int height_ ABSL_GUARDED_BY(mu_) = 0;

  std::unique_ptr<StreamLoop> loop_;  // with Serving::kEventLoop
  concurrency::http::HttpServer server_;
  std::thread capture_;
};

}  // namespace camera

#endif  // CAMERA_STREAMER_H_
