// Fuzzes the .tar.gz reader on any bytes: no crash, no over-read (ASan), a
// bounded inflate (a gzip bomb is refused), and every member it returns lies
// within what was inflated.
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "concurrency/pipeline/targz/tar_gz.h"
#include "tools/fuzzing/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kMaxTar = 8 << 20;
  absl::StatusOr<std::vector<concurrency::pipeline::TarMember>> members =
      concurrency::pipeline::ParseTarGz(
          absl::string_view(reinterpret_cast<const char*>(data), size), "fuzz",
          kMaxTar);
  if (!members.ok()) {
    FUZZ_CHECK(members.status().message().find("fuzz") !=
               absl::string_view::npos);
    return 0;
  }
  size_t total = 0;
  for (const auto& m : *members) total += m.data.size();
  FUZZ_CHECK(total <= kMaxTar);
  return 0;
}
