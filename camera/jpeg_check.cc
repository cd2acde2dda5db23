#include "camera/jpeg_check.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace camera {
namespace {

constexpr uint8_t kSoi = 0xD8, kEoi = 0xD9, kSos = 0xDA;

uint8_t At(absl::string_view s, size_t i) { return static_cast<uint8_t>(s[i]); }

// Start of frame: SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC).
bool IsStartOfFrame(uint8_t m) {
  return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

// Markers that stand alone, with no length after them.
bool StandsAlone(uint8_t m) { return m == 0x01 || (m >= 0xD0 && m <= 0xD7); }

absl::Status Bad(size_t at, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrFormat("not a whole JPEG: %s at byte %d", what, at));
}

absl::Status Truncated(size_t at, absl::string_view what) {
  return absl::DataLossError(
      absl::StrFormat("JPEG cut short: %s at byte %d", what, at));
}

// Where the image ends: just past the last EOI, when only zero bytes follow
// it.
absl::StatusOr<size_t> End(absl::string_view jpeg, size_t scan) {
  size_t end = jpeg.size();
  while (end > scan && At(jpeg, end - 1) == 0) --end;
  if (end < scan + 2 || At(jpeg, end - 2) != 0xFF ||
      At(jpeg, end - 1) != kEoi) {
    return Truncated(end, "no EOI marker after the compressed data");
  }
  return end;
}

}  // namespace

absl::StatusOr<JpegInfo> CheckJpeg(absl::string_view jpeg) {
  if (jpeg.size() < 4 || At(jpeg, 0) != 0xFF || At(jpeg, 1) != kSoi) {
    return Bad(0, "no SOI marker");
  }
  JpegInfo info;
  bool frame_header = false;
  size_t at = 2;
  while (true) {
    if (at >= jpeg.size()) return Truncated(at, "no start of scan");
    if (At(jpeg, at) != 0xFF) return Bad(at, "a byte where a marker belongs");
    while (at < jpeg.size() && At(jpeg, at) == 0xFF) ++at;  // fill bytes
    if (at >= jpeg.size()) return Truncated(at, "a marker");
    const uint8_t marker = At(jpeg, at++);
    if (marker == kEoi || marker == kSoi || marker == 0x00) {
      return Bad(at - 1, "a misplaced marker before the start of scan");
    }
    if (StandsAlone(marker)) continue;
    if (at + 2 > jpeg.size()) return Truncated(at, "a segment length");
    const size_t length =
        static_cast<size_t>(At(jpeg, at)) << 8 | At(jpeg, at + 1);
    if (length < 2) return Bad(at, "a segment length under 2");
    if (at + length > jpeg.size()) return Truncated(at, "a segment");
    if (IsStartOfFrame(marker)) {
      if (length < 8) return Bad(at, "a frame header too short");
      info.height = At(jpeg, at + 3) << 8 | At(jpeg, at + 4);
      info.width = At(jpeg, at + 5) << 8 | At(jpeg, at + 6);
      if (info.width == 0 || info.height == 0) {
        return Bad(at, "a frame of no width or height");
      }
      frame_header = true;
    }
    if (marker == kSos) {
      if (!frame_header) return Bad(at - 2, "a scan before any frame header");
      absl::StatusOr<size_t> end = End(jpeg, at + length);
      if (!end.ok()) return end.status();
      info.size = *end;
      return info;
    }
    at += length;
  }
}

}  // namespace camera
