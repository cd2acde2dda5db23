#include "camera/frame_source.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "concurrency/io/posix_error.h"
#include "opencv2/imgproc.hpp"
#include "opencv2/videoio.hpp"

namespace camera {
namespace {

constexpr int kBits = 32;
constexpr int kBlock = 8;

class TestPatternSource : public FrameSource {
 public:
  explicit TestPatternSource(const SourceOptions& o)
      : width_(std::max(o.width, kBits * kBlock)),
        height_(std::max(o.height, 64)),
        ramp_b_(static_cast<size_t>(width_)),
        ramp_r_(static_cast<size_t>(width_ + height_)) {}

  absl::StatusOr<cv::Mat> Next() override {
    ++k_;
    cv::Mat& pixels = FreeBuffer();
    // Each channel is a ramp: B along x, G along y, R along x + y.
    for (int x = 0; x < width_; ++x) {
      ramp_b_[x] = static_cast<uint8_t>((x + 4 * k_) & 255);
    }
    for (int i = 0; i < width_ + height_; ++i) {
      ramp_r_[i] = static_cast<uint8_t>((i / 2 + 3 * k_) & 255);
    }
    for (int y = 0; y < height_; ++y) {
      uint8_t* px = pixels.ptr<uint8_t>(y);
      const uint8_t g = static_cast<uint8_t>((y + 2 * k_) & 255);
      const uint8_t* r = ramp_r_.data() + y;
      for (int x = 0; x < width_; ++x, px += 3) {
        px[0] = ramp_b_[x];
        px[1] = g;
        px[2] = r[x];
      }
    }
    cv::Mat frame = pixels;
    for (int b = 0; b < kBits; ++b) {
      const bool on = (static_cast<uint64_t>(k_) >> b) & 1;
      cv::rectangle(frame, cv::Rect(b * kBlock, 0, kBlock, kBlock),
                    on ? cv::Scalar(255, 255, 255) : cv::Scalar(0, 0, 0),
                    cv::FILLED);
    }
    const std::string text = absl::StrCat(
        "frame ", k_, "  ",
        absl::FormatTime("%H:%M:%E3S", absl::Now(), absl::LocalTimeZone()));
    cv::putText(frame, text, cv::Point(10, 40), cv::FONT_HERSHEY_SIMPLEX, 0.8,
                cv::Scalar(0, 0, 0), 3, cv::LINE_AA);
    cv::putText(frame, text, cv::Point(10, 40), cv::FONT_HERSHEY_SIMPLEX, 0.8,
                cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
    return frame;
  }
  std::string Describe() const override { return "test pattern"; }

 private:
  // Frames are drawn into the pixels of an earlier frame that nobody holds
  // any more (encoders let theirs go once encoded): a fresh 900 KB buffer
  // per frame cost a quarter of the streamer's CPU at 1,000 clients, in page
  // faults and the planes' merge. A frame still held elsewhere is left
  // alone: callers keep value semantics. A few buffers cover the frames
  // that wait for, or are in, the encoders.
  cv::Mat& FreeBuffer() {
    constexpr size_t kBuffers = 12;
    for (cv::Mat& m : buffers_) {
      // Encoders let their copies go on their own threads (OpenCV's
      // reference count is atomic): read it atomically, with acquire, so
      // that their reads of the pixels come before this thread draws again.
      if (m.u != nullptr &&
          __atomic_load_n(&m.u->refcount, __ATOMIC_ACQUIRE) == 1) {
        return m;
      }
    }
    if (buffers_.size() == kBuffers) buffers_.erase(buffers_.begin());
    buffers_.emplace_back(height_, width_, CV_8UC3);
    return buffers_.back();
  }

  int width_, height_;
  int64_t k_ = 0;
  std::vector<cv::Mat> buffers_;
  std::vector<uint8_t> ramp_b_, ramp_r_;
};

class CaptureSource : public FrameSource {
 public:
  // `open` (re)opens `cap_` for this source; `format` is what it then gives.
  CaptureSource(std::string name, bool loop,
                std::function<bool(cv::VideoCapture&)> open,
                FrameFormat format = FrameFormat::kPicture)
      : name_(std::move(name)),
        loop_(loop),
        open_(std::move(open)),
        format_(format) {}
  FrameFormat format() const override { return format_; }
  cv::VideoCapture& capture() { return cap_; }
  bool Open() { return open_(cap_) && cap_.isOpened(); }

  absl::Status Reopen() override {
    cap_.release();
    if (!Open())
      return absl::UnavailableError(absl::StrCat(name_, " does not open"));
    return absl::OkStatus();
  }

  absl::StatusOr<cv::Mat> Next() override {
    cv::Mat frame;
    if (cap_.read(frame) && !frame.empty()) return frame;
    if (loop_) {  // a file at its end: start again
      cap_.set(cv::CAP_PROP_POS_FRAMES, 0);
      if (cap_.read(frame) && !frame.empty()) return frame;
    }
    return absl::UnavailableError(absl::StrCat(name_, ": no frame"));
  }
  std::string Describe() const override { return name_; }

 private:
  std::string name_;
  bool loop_;
  std::function<bool(cv::VideoCapture&)> open_;
  const FrameFormat format_;
  cv::VideoCapture cap_;
};

const int kMjpg = cv::VideoWriter::fourcc('M', 'J', 'P', 'G');

bool IsMjpeg(const cv::VideoCapture& cap) {
  const int fourcc = static_cast<int>(cap.get(cv::CAP_PROP_FOURCC));
  return fourcc == kMjpg ||
         fourcc == cv::VideoWriter::fourcc('m', 'j', 'p', 'g');
}

std::string FourccText(const cv::VideoCapture& cap) {
  const int fourcc = static_cast<int>(cap.get(cv::CAP_PROP_FOURCC));
  std::string text;
  for (int i = 0; i < 4; ++i) {
    const char c = static_cast<char>((fourcc >> (8 * i)) & 0xFF);
    text.push_back(c >= 32 && c < 127 ? c : '?');
  }
  return text;
}

// Opens camera `index` (V4L2 only: Linux cameras are V4L2 devices, and
// probing every other backend, GStreamer or libusb depth cameras, is slow and
// leaks memory). For JPEG frames it asks for MJPG and takes the buffers
// unconverted; false if the camera does not open, or gives no MJPG then.
bool OpenCamera(cv::VideoCapture& cap, int index, const SourceOptions& o,
                bool jpeg) {
  if (!cap.open(index, cv::CAP_V4L2)) return false;
  if (jpeg) cap.set(cv::CAP_PROP_FOURCC, kMjpg);
  cap.set(cv::CAP_PROP_FRAME_WIDTH, o.width);
  cap.set(cv::CAP_PROP_FRAME_HEIGHT, o.height);
  if (!jpeg) return true;
  return IsMjpeg(cap) && cap.set(cv::CAP_PROP_CONVERT_RGB, 0);
}

absl::StatusOr<std::unique_ptr<FrameSource>> MakeCameraSource(
    int index, const SourceOptions& options) {
  const std::string name = absl::StrCat("camera:", index);
  bool jpeg = options.format != FormatRequest::kRaw;
  if (jpeg) {
    cv::VideoCapture probe;
    const bool mjpeg = OpenCamera(probe, index, options, true);
    if (!mjpeg && options.format == FormatRequest::kMjpeg) {
      return absl::FailedPreconditionError(absl::StrCat(
          name, " gives no MJPEG frames (--format=mjpeg); try --format=auto"));
    }
    jpeg = mjpeg;
  }
  auto src = std::make_unique<CaptureSource>(
      name, /*loop=*/false,
      [index, options, jpeg](cv::VideoCapture& cap) {
        return OpenCamera(cap, index, options, jpeg);
      },
      jpeg ? FrameFormat::kJpeg : FrameFormat::kPicture);
  if (!src->Open()) {
    return absl::NotFoundError(
        absl::StrCat("camera ", index, " does not open"));
  }
  return src;
}

// A video file, through FFmpeg; an MJPEG one, for JPEG frames, in raw
// packet mode (each read gives one frame's JPEG as stored).
absl::StatusOr<std::unique_ptr<FrameSource>> MakeFileSource(
    const std::string& path, const SourceOptions& options) {
  if (access(path.c_str(), R_OK) != 0) {
    return concurrency::io::PosixError(
        absl::StrCat("video file ", path, " does not open"), errno);
  }
  cv::VideoCapture probe(path, cv::CAP_FFMPEG);
  if (!probe.isOpened()) {
    return absl::NotFoundError(
        absl::StrCat("video file ", path, " does not open"));
  }
  const bool mjpeg = IsMjpeg(probe);
  if (!mjpeg && options.format == FormatRequest::kMjpeg) {
    return absl::FailedPreconditionError(
        absl::StrCat("video file ", path, " holds ", FourccText(probe),
                     " video, not MJPEG (--format=mjpeg); try --format=auto"));
  }
  const bool jpeg = mjpeg && options.format != FormatRequest::kRaw;
  auto src = std::make_unique<CaptureSource>(
      absl::StrCat("file:", path), /*loop=*/true,
      [path, jpeg](cv::VideoCapture& cap) {
        return cap.open(path, cv::CAP_FFMPEG) &&
               (!jpeg || cap.set(cv::CAP_PROP_FORMAT, -1));
      },
      jpeg ? FrameFormat::kJpeg : FrameFormat::kPicture);
  if (!src->Open()) {
    return absl::NotFoundError(
        absl::StrCat("video file ", path, " does not open"));
  }
  cv::Mat first;
  if (!src->capture().read(first) || first.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("video file ", path, " holds no frame"));
  }
  src->capture().set(cv::CAP_PROP_POS_FRAMES, 0);
  return src;
}

}  // namespace

absl::StatusOr<FormatRequest> ParseFormatRequest(absl::string_view text) {
  if (text == "auto") return FormatRequest::kAuto;
  if (text == "mjpeg") return FormatRequest::kMjpeg;
  if (text == "raw") return FormatRequest::kRaw;
  return absl::InvalidArgumentError(
      absl::StrCat("format \"", text, "\": expected auto, mjpeg or raw"));
}

absl::StatusOr<std::unique_ptr<FrameSource>> MakeFrameSource(
    absl::string_view spec, const SourceOptions& options) {
  if (spec == "test") {
    if (options.format == FormatRequest::kMjpeg) {
      return absl::FailedPreconditionError(
          "the test pattern has no MJPEG frames (--format=mjpeg); it is drawn "
          "as pictures: use --format=auto or raw");
    }
    return std::make_unique<TestPatternSource>(options);
  }
  if (absl::ConsumePrefix(&spec, "camera:")) {
    int index;
    if (!absl::SimpleAtoi(spec, &index) || index < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("source camera:", spec, ": not a camera index"));
    }
    return MakeCameraSource(index, options);
  }
  if (absl::ConsumePrefix(&spec, "file:")) {
    return MakeFileSource(std::string(spec), options);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "source \"", spec, "\": expected camera:N, file:PATH or test"));
}

int64_t ReadFrameNumber(const cv::Mat& bgr) {
  if (bgr.empty() || bgr.cols < kBits * kBlock || bgr.rows < kBlock) return -1;
  cv::Mat gray;
  cv::cvtColor(bgr(cv::Rect(0, 0, kBits * kBlock, kBlock)), gray,
               cv::COLOR_BGR2GRAY);
  int64_t n = 0;
  for (int b = 0; b < kBits; ++b) {
    // The block's centre, away from JPEG ringing at its edges.
    double v =
        cv::mean(gray(cv::Rect(b * kBlock + 2, 2, kBlock - 4, kBlock - 4)))[0];
    if (v > 200) {
      n |= int64_t{1} << b;
    } else if (v > 55) {
      return -1;  // neither black nor white: not our strip
    }
  }
  return n;
}

}  // namespace camera
