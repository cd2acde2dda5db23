// Fuzzes CallInfo's format parser (Python's %-style templates) on any text,
// then formats a record with whatever it accepted. Checks: no crash, no
// undefined behaviour (UBSan: the width digits once overflowed an int), every
// refusal names the offset, and an accepted template gives a line no longer
// than its literals plus every field at its widest.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "decorators/call_info.h"
#include "tools/fuzzing/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<decorators::CallFormat> format =
      decorators::CallFormat::Parse(text);
  if (!format.ok()) {
    FUZZ_CHECK(absl::StrContains(format.status().message(), "at offset"));
    return 0;
  }
  decorators::CallRecord record{"fibonacci", absl::FromUnixSeconds(1700000000),
                                absl::Milliseconds(1.5), 42};
  std::string line = format->Format(record, absl::UTCTimeZone());
  // Each conversion is at least 3 bytes of template ("%()" and more) and
  // yields at most 1000 bytes of padding plus a short field.
  FUZZ_CHECK(line.size() <= size * 400 + 64);
  return 0;
}
