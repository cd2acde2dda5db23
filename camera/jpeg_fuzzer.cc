// Fuzzes CheckJpeg with arbitrary bytes: it must never crash or read out of
// bounds, and what it accepts must begin with SOI, end (before any zero
// padding) with EOI, and have a frame of some size.
#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "camera/jpeg_check.h"
#include "tools/fuzzing/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<camera::JpegInfo> info = camera::CheckJpeg(bytes);
  if (!info.ok()) return 0;
  FUZZ_CHECK(info->size >= 4 && info->size <= size);
  FUZZ_CHECK(data[0] == 0xFF && data[1] == 0xD8);
  FUZZ_CHECK(data[info->size - 2] == 0xFF && data[info->size - 1] == 0xD9);
  for (size_t i = info->size; i < size; ++i) FUZZ_CHECK(data[i] == 0);
  FUZZ_CHECK(info->width > 0 && info->height > 0);
  return 0;
}
