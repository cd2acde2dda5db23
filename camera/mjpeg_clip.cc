#include "camera/mjpeg_clip.h"

#include <cstdlib>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "camera/frame_source.h"
#include "concurrency/io/atomic_file.h"
#include "opencv2/imgcodecs.hpp"

namespace camera {

absl::StatusOr<MjpegClip> MakeMjpegClip(const std::string& dir, int frames,
                                        const std::set<int>& cut) {
  absl::StatusOr<std::unique_ptr<FrameSource>> pattern =
      MakeFrameSource("test", {.width = 320, .height = 240});
  if (!pattern.ok()) return pattern.status();
  MjpegClip clip{absl::StrCat(dir, "/clip.avi"), {}};
  for (int i = 0; i < frames; ++i) {
    absl::StatusOr<cv::Mat> picture = (*pattern)->Next();
    std::vector<uchar> jpeg;
    if (!picture.ok() || !cv::imencode(".jpg", *picture, jpeg)) {
      return absl::InternalError(absl::StrCat("encoding frame ", i));
    }
    std::string bytes(jpeg.begin(), jpeg.end());
    if (cut.contains(i)) bytes.resize(bytes.size() / 2);
    if (absl::Status s = concurrency::io::WriteFileAtomically(
            absl::StrCat(dir, "/f", i, ".jpg"), bytes,
            concurrency::io::AtomicFile::Mode::kReplace);
        !s.ok()) {
      return s;
    }
    clip.jpegs.push_back(std::move(bytes));
  }
  const std::string command =
      absl::StrCat("ffmpeg -nostdin -loglevel error -y -framerate 30 -i '", dir,
                   "/f%d.jpg' -c copy '", clip.path, "'");
  if (const int rc = std::system(command.c_str()); rc != 0) {
    return absl::InternalError(
        absl::StrCat("`", command, "` exited with status ", rc));
  }
  return clip;
}

}  // namespace camera
