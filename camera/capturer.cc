#include "camera/capturer.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "camera/jpeg_check.h"
#include "camera/reopen_backoff.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace camera {

Capturer::Capturer(std::unique_ptr<FrameSource> source, CaptureOptions options,
                   FrameHub& hub, OnPublish on_publish)
    : source_(std::move(source)),
      source_name_(source_->Describe()),
      passthrough_(source_->format() == FrameFormat::kJpeg),
      grabber_(*source_),
      options_(std::move(options)),
      hub_(hub),
      on_publish_(std::move(on_publish)),
      gate_(options_.fps, options_.desired_fps, options_.drop_same_frames),
      jobs_(static_cast<size_t>(std::max(1, options_.encoders))) {}

Capturer::~Capturer() { Stop(); }

void Capturer::Start() {
  // OpenCV builds its codec registry (a function-local static) on the first
  // encode. Built here, before the encoder threads exist, it is only read
  // by them. (C++ makes the static's construction thread-safe, but its guard
  // is inside OpenCV, which is not built for ThreadSanitizer: two first
  // encodes at once look like a race to it, and fail the TSan tests.)
  (void)cv::haveImageWriter(".jpg");
  for (int i = 0; i < std::max(1, options_.encoders); ++i) {
    encoder_threads_.emplace_back([this] { EncodeLoop(); });
  }
  thread_ = std::thread([this] { Loop(); });
}

void Capturer::Stop() {
  if (!stopping_.HasBeenNotified()) stopping_.Notify();
  if (thread_.joinable()) thread_.join();
  jobs_.Close();  // the encoders finish what waits, then end
  for (std::thread& t : encoder_threads_) t.join();
  encoder_threads_.clear();
}

CaptureState Capturer::State() const {
  absl::MutexLock l(&mu_);
  CaptureState s;
  s.source = source_name_;
  s.online = online_;
  s.last_error = last_error_;
  s.recoveries = recoveries_;
  s.width = width_;
  s.height = height_;
  s.capture_fps = capture_rate_.Rate(absl::Now());
  s.frames_captured = captured_.load();
  s.frames_read = frames_read_.load();
  s.skipped_for_desired_fps = gate_.skipped_for_desired_fps();
  s.dropped_same = gate_.dropped_same();
  s.encoders = std::max(1, options_.encoders);
  s.passthrough = passthrough_;
  s.skipped_corrupt = skipped_corrupt_.load();
  s.skipped_busy = skipped_busy_.load();
  s.skipped_late = skipped_late_.load();
  s.encode_failures = encode_failures_.load();
  return s;
}

bool Capturer::CaptureOne(int64_t* number, Grabber::Call call) {
  absl::StatusOr<cv::Mat> frame = grabber_.Grab(call, options_.device_timeout);
  if (!frame.ok()) {
    absl::MutexLock l(&mu_);
    last_error_ = frame.status().ToString();
    return false;
  }
  frames_read_.fetch_add(1);
  if (gate_.Skip(*frame)) return true;
  if (passthrough_) {
    PassThrough(*frame, number);
    return true;
  }
  const absl::Time captured = absl::Now();
  RecordCapture(frame->cols, frame->rows, captured);
  if (!jobs_.TryPush(EncodeJob{*frame, ++*number, captured}).ok()) {
    skipped_busy_.fetch_add(1);
  }
  captured_.fetch_add(1);
  return true;
}

void Capturer::PassThrough(const cv::Mat& jpeg, int64_t* number) {
  const absl::string_view bytes =
      jpeg.type() == CV_8UC1 && jpeg.isContinuous()
          ? absl::string_view(reinterpret_cast<const char*>(jpeg.data),
                              jpeg.total())
          : absl::string_view();
  absl::StatusOr<JpegInfo> info = CheckJpeg(bytes);
  if (!info.ok()) {
    skipped_corrupt_.fetch_add(1);
    absl::MutexLock l(&mu_);
    last_error_ = absl::StrCat("a frame from ", source_name_,
                               " skipped: ", info.status().message());
    return;
  }
  auto f = std::make_shared<Frame>();
  f->number = ++*number;
  f->captured = absl::Now();
  f->jpeg.assign(bytes.data(), info->size);
  RecordCapture(info->width, info->height, f->captured);
  Publish(std::move(f));
  captured_.fetch_add(1);
}

void Capturer::RecordCapture(int width, int height, absl::Time captured) {
  absl::MutexLock l(&mu_);
  width_ = width;
  height_ = height;
  // After a pause (no viewers, no signal) the rate starts afresh, from this
  // frame.
  if (!capture_rate_.started() || captured - last_capture_ > absl::Seconds(1)) {
    capture_rate_.Start(captured, captured_.load() + 1);
  } else {
    capture_rate_.Sample(captured, captured_.load() + 1);
  }
  last_capture_ = captured;
  if (!online_) {  // back before the frame goes out
    online_ = true;
    ++recoveries_;
  }
}

void Capturer::EncodeLoop() {
  while (std::optional<EncodeJob> job = jobs_.Pop()) {
    std::shared_ptr<Frame> f = Encode(job->picture, job->number, job->captured);
    job->picture.release();  // the source may draw into it again
    if (f != nullptr) Publish(std::move(f));
  }
}

// JPEG takes 8-bit pictures of 1, 3 or 4 channels; anything else (a broken
// source, a driver's odd format) is refused here rather than thrown at by
// OpenCV, and the stream goes on with the next frame.
std::shared_ptr<Frame> Capturer::Encode(const cv::Mat& picture, int64_t number,
                                        absl::Time captured) {
  std::vector<uchar> jpeg;
  const bool encodable = !picture.empty() && picture.dims == 2 &&
                         picture.depth() == CV_8U &&
                         (picture.channels() == 1 || picture.channels() == 3 ||
                          picture.channels() == 4);
  if (!encodable ||
      !cv::imencode(".jpg", picture, jpeg,
                    {cv::IMWRITE_JPEG_QUALITY, options_.jpeg_quality})) {
    encode_failures_.fetch_add(1);
    absl::MutexLock l(&mu_);
    last_error_ = absl::StrFormat(
        "frame %d (%dx%d, type %d) could not be encoded as JPEG", number,
        picture.cols, picture.rows, picture.type());
    return nullptr;
  }
  auto f = std::make_shared<Frame>();
  f->number = number;
  f->captured = captured;
  f->jpeg.assign(jpeg.begin(), jpeg.end());
  return f;
}

void Capturer::Publish(std::shared_ptr<Frame> frame) {
  absl::MutexLock l(&publish_mu_);
  if (frame->number <= last_published_) {
    skipped_late_.fetch_add(1);
    return;
  }
  last_published_ = frame->number;
  const absl::Time captured = frame->captured;
  hub_.Publish(std::move(frame));
  if (on_publish_) on_publish_(captured);
}

void Capturer::Loop() {
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
    // Pace to fps; after falling behind, restart the schedule from now
    // rather than bursting.
    next += period;
    absl::Time now = absl::Now();
    if (next < now - period) next = now;
    if (next > now) stopping_.WaitForNotificationWithTimeout(next - now);
  }
}

void Capturer::PublishNoSignal(int64_t* number) {
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
  if (std::shared_ptr<Frame> f = Encode(frame, ++*number, absl::Now())) {
    Publish(std::move(f));
  }
}

// Streams stay open: they get a NO SIGNAL frame about once a second while
// the source is reopened with exponential backoff, until it gives a frame
// again (then capture goes on as before) or the capturer stops.
void Capturer::RecoverSource(int64_t* number) {
  {
    absl::MutexLock l(&mu_);
    online_ = false;
  }
  ReopenBackoff backoff;
  absl::Time next_try = absl::Now() + backoff.Next();
  while (!stopping_.HasBeenNotified()) {
    PublishNoSignal(number);
    const absl::Time next_frame = absl::Now() + absl::Seconds(1);
    while (!stopping_.HasBeenNotified() && absl::Now() < next_frame) {
      if (absl::Now() >= next_try) {
        // While a capture hangs, this waits for it rather than reopening
        // under it (grabber.h).
        if (CaptureOne(number, Grabber::Call::kReopenThenNext)) return;
        next_try = absl::Now() + backoff.Next();
      }
      stopping_.WaitForNotificationWithTimeout(std::min(next_frame, next_try) -
                                               absl::Now());
    }
  }
}

}  // namespace camera
