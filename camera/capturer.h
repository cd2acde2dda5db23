// Capturer: the capture side of the streamer. One thread reads the
// FrameSource at `fps` (through a Grabber, so that a capture that hangs is
// waited out) and lets a FrameGate drop frames (desired fps, same frames);
// `encoders` threads encode each kept frame to JPEG once, and the frames are
// published to a FrameHub in capture order. It captures only while the hub
// has subscribers.
//
// Encoders (ustreamer's --workers): a kept frame goes to a free encoder, and
// waits for one while all are busy, up to `encoders` frames; past that the
// frame is dropped (`skipped_busy`), as a camera's driver drops what nobody
// reads, rather than letting delay build up. Encoders finish out of order;
// a frame finished after a newer one was published is late and is dropped
// (`skipped_late`), so clients see frame numbers only increase. A frame that
// cannot be encoded is counted (`encode_failures`) and the stream goes on.
//
// MJPEG passthrough: a source that gives JPEG frames (frame_source.h) has
// them sent as they are, from the capture thread, with no decode and no
// encode; each is checked first (jpeg_check.h), and one that is corrupt or
// cut short is skipped and counted (`skipped_corrupt`), never sent.
//
// A lost source is not a dead stream: when a capture fails, or gives no
// frame within `device_timeout`, the Capturer publishes a NO SIGNAL frame
// about once a second while it reopens the source with backoff; `State()`
// says `online: false` and why, and capture resumes when frames come again.
//
//   Capturer capturer(std::move(source), options, hub,
//                     [](absl::Time captured) { /* a frame is out */ });
//   capturer.Start();
//   ...
//   capturer.Stop();  // or let the destructor do it
//
// Thread-safety: `State()` and `frames_captured()` from any thread; Start
// and Stop from the owner's. `on_publish` is called after each frame
// (captured or NO SIGNAL) is in the hub, on the thread that published it (an
// encoder's or the capture thread), one call at a time. Stop waits for a
// capture call in flight (grabber.h) and for the encoders.
#ifndef CAMERA_CAPTURER_H_
#define CAMERA_CAPTURER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "camera/frame_gate.h"
#include "camera/frame_hub.h"
#include "camera/frame_source.h"
#include "camera/grabber.h"
#include "camera/rate_window.h"
#include "concurrency/blocking_queue.h"
#include "opencv2/core.hpp"

namespace camera {

struct CaptureOptions {
  double fps = 30;
  int jpeg_quality = 40;  // the tutorial's IMWRITE_JPEG_QUALITY
  // Encode at most this many of the `fps` frames captured per second
  // (0: all).
  double desired_fps = 0;
  // Do not send a frame identical to the previous one, at most this many in
  // a row (ustreamer's --drop-same-frames; 0: off).
  int drop_same_frames = 0;
  // A capture that gives no frame for this long counts as a lost source
  // (ustreamer's --device-timeout).
  absl::Duration device_timeout = absl::Seconds(1);
  // Threads encoding JPEGs at once (at least 1).
  int encoders = 1;
};

// What the capture side reports (/stats, /state).
struct CaptureState {
  std::string source;  // FrameSource::Describe()
  bool online = true;
  std::string last_error;
  int64_t recoveries = 0;
  int width = 0;
  int height = 0;
  double capture_fps = 0;  // windowed average (rate_window.h)
  int64_t frames_captured = 0;
  int64_t frames_read = 0;
  int64_t skipped_for_desired_fps = 0;
  int64_t dropped_same = 0;
  int encoders = 1;             // encoding threads (at least 1)
  bool passthrough = false;     // JPEG frames sent as the source gave them
  int64_t skipped_corrupt = 0;  // JPEG frames from the source that were not
  int64_t skipped_busy = 0;     // every encoder busy, and as many waiting
  int64_t skipped_late = 0;     // encoded after a newer frame went out
  int64_t encode_failures = 0;  // frames the JPEG encoder refused
};

class Capturer {
 public:
  using OnPublish = std::function<void(absl::Time captured)>;

  Capturer(std::unique_ptr<FrameSource> source, CaptureOptions options,
           FrameHub& hub, OnPublish on_publish);
  ~Capturer();
  Capturer(const Capturer&) = delete;
  Capturer& operator=(const Capturer&) = delete;

  void Start();
  void Stop();

  CaptureState State() const ABSL_LOCKS_EXCLUDED(mu_);
  int64_t frames_captured() const { return captured_.load(); }

 private:
  void Loop();
  // A kept frame on its way to an encoder.
  struct EncodeJob {
    cv::Mat picture;
    int64_t number;
    absl::Time captured;
  };

  // Captures one frame and hands it to the encoders; false if the source
  // failed or gave nothing within device_timeout.
  bool CaptureOne(int64_t* number, Grabber::Call call = Grabber::Call::kNext)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Each encoder thread: encodes and publishes jobs until Stop().
  void EncodeLoop();
  // A JPEG frame from the source, checked and published as it is.
  void PassThrough(const cv::Mat& jpeg, int64_t* number)
      ABSL_LOCKS_EXCLUDED(mu_);
  void RecordCapture(int width, int height, absl::Time captured)
      ABSL_LOCKS_EXCLUDED(mu_);
  // After a failed capture: NO SIGNAL frames and reopening, until a frame.
  void RecoverSource(int64_t* number) ABSL_LOCKS_EXCLUDED(mu_);
  void PublishNoSignal(int64_t* number) ABSL_LOCKS_EXCLUDED(mu_);
  // `picture` as a JPEG frame; null (counted) if it cannot be encoded.
  std::shared_ptr<Frame> Encode(const cv::Mat& picture, int64_t number,
                                absl::Time captured);
  // Publishes `frame` unless a newer one is out already (then it is late).
  void Publish(std::shared_ptr<Frame> frame) ABSL_LOCKS_EXCLUDED(publish_mu_);

  std::unique_ptr<FrameSource> source_;
  const std::string source_name_;  // source_->Describe()
  const bool passthrough_;         // source_ gives JPEG frames
  Grabber grabber_;                // the only caller of source_
  const CaptureOptions options_;
  FrameHub& hub_;
  const OnPublish on_publish_;
  FrameGate gate_;  // Skip() on the capture thread only
  absl::Notification stopping_;
  std::atomic<int64_t> captured_{0};
  std::atomic<int64_t> frames_read_{0};
  std::atomic<int64_t> skipped_corrupt_{0};
  std::atomic<int64_t> skipped_busy_{0};
  std::atomic<int64_t> skipped_late_{0};
  std::atomic<int64_t> encode_failures_{0};

  // Kept frames waiting for an encoder: at most `encoders` of them.
  concurrency::BlockingQueue<EncodeJob> jobs_;
  std::vector<std::thread> encoder_threads_;
  absl::Mutex publish_mu_;  // publishing in order, and on_publish
  int64_t last_published_ ABSL_GUARDED_BY(publish_mu_) = 0;

  mutable absl::Mutex mu_;
  RateWindow capture_rate_ ABSL_GUARDED_BY(mu_);
  absl::Time last_capture_ ABSL_GUARDED_BY(mu_);
  std::string last_error_ ABSL_GUARDED_BY(mu_);
  bool online_ ABSL_GUARDED_BY(mu_) = true;
  int64_t recoveries_ ABSL_GUARDED_BY(mu_) = 0;
  int width_ ABSL_GUARDED_BY(mu_) = 0;
  int height_ ABSL_GUARDED_BY(mu_) = 0;

  std::thread thread_;
};

}  // namespace camera

#endif  // CAMERA_CAPTURER_H_
