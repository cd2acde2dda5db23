// MakeMjpegClip: for tests, an MJPEG AVI made the way a user would make one,
// from JPEG files with Debian's ffmpeg (`-c copy`: the JPEGs go into the
// container as they are).
//
//   absl::StatusOr<MjpegClip> clip = MakeMjpegClip(dir, 4, /*cut=*/{2});
//   // clip->path: dir/clip.avi; clip->jpegs[i]: frame i's bytes as filed
//
// Frame i is the test pattern's frame i + 1 (frame_source.h), so its number
// can be read back from the picture. The frames listed in `cut` go in cut
// short by half, as a camera's truncated frame would. Errors name the step
// (encoding, writing a file, ffmpeg's exit status).
#ifndef CAMERA_MJPEG_CLIP_H_
#define CAMERA_MJPEG_CLIP_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace camera {

struct MjpegClip {
  std::string path;
  std::vector<std::string> jpegs;
};

absl::StatusOr<MjpegClip> MakeMjpegClip(const std::string& dir, int frames,
                                        const std::set<int>& cut = {});

}  // namespace camera

#endif  // CAMERA_MJPEG_CLIP_H_
