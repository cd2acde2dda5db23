// Grabber: runs a FrameSource's calls on a thread of its own, so that the
// capture loop can stop waiting for a call that hangs: a camera that stops
// delivering frames without failing (ustreamer's --device-timeout).
//
//   Grabber grabber(*source);
//   absl::StatusOr<cv::Mat> frame =
//       grabber.Grab(Grabber::Call::kNext, absl::Seconds(1));
//   // DeadlineExceeded: no frame within a second; the call goes on.
//
// A call that outlives its caller's wait is neither abandoned nor repeated:
// the next Grab, whatever it asks for, waits for that same call and returns
// its result. So the source sees one call at a time (sources are not
// thread-safe), a Reopen never races a Next that hangs, and a frame that
// comes late is still delivered.
//
// Thread-safety: Grab from one thread at a time. The destructor waits for a
// call in flight to return: a source's call must end in the end (OpenCV's
// V4L2 capture gives up by itself after its select timeout, 10 s unless
// OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT says otherwise).
#ifndef CAMERA_GRABBER_H_
#define CAMERA_GRABBER_H_

#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "camera/frame_source.h"
#include "opencv2/core.hpp"

namespace camera {

class Grabber {
 public:
  enum class Call {
    kNext,            // source.Next()
    kReopenThenNext,  // source.Reopen(), then Next() if it succeeded
  };

  // `source` must outlive the Grabber.
  explicit Grabber(FrameSource& source);
  ~Grabber();
  Grabber(const Grabber&) = delete;
  Grabber& operator=(const Grabber&) = delete;

  // The call's frame or error, or DeadlineExceeded naming the source after
  // `timeout` (absl::InfiniteDuration(): wait as long as it takes).
  absl::StatusOr<cv::Mat> Grab(Call call, absl::Duration timeout)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Whether a call is running past its caller's wait.
  bool busy() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Run() ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<cv::Mat> Do(Call call);

  FrameSource& source_;
  const std::string name_;  // source_.Describe(), read once

  mutable absl::Mutex mu_;
  std::optional<Call> request_ ABSL_GUARDED_BY(mu_);  // not yet started
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<absl::StatusOr<cv::Mat>> result_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts when the rest is ready
};

}  // namespace camera

#endif  // CAMERA_GRABBER_H_
