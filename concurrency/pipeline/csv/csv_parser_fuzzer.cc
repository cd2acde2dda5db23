// Fuzzes the streaming CSV parser: any bytes, fed in chunks whose sizes come
// from the input. Checks: no crash, and the same records (or the same error)
// whatever the chunking, against one whole-input parse.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "concurrency/pipeline/csv/csv_parser.h"
#include "tools/fuzzing/check.h"

namespace {

using concurrency::pipeline::CsvParser;

struct Result {
  std::vector<std::vector<std::string>> records;
  std::vector<int64_t> lines;
  absl::Status status;
};

Result Parse(absl::string_view csv, absl::string_view chunk_sizes) {
  Result r;
  CsvParser parser("fuzz");
  auto on_record = [&r](absl::Span<const absl::string_view> fields,
                        int64_t line) {
    r.records.emplace_back(fields.begin(), fields.end());
    r.lines.push_back(line);
    return absl::OkStatus();
  };
  size_t i = 0;
  while (r.status.ok() && !csv.empty()) {
    size_t n = csv.size();
    if (!chunk_sizes.empty()) {
      auto b = static_cast<uint8_t>(chunk_sizes[i++ % chunk_sizes.size()]);
      n = 1 + b % 16;
    }
    n = std::min(n, csv.size());
    r.status = parser.Feed(csv.substr(0, n), on_record);
    csv.remove_prefix(n);
  }
  if (r.status.ok()) r.status = parser.Finish(on_record);
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte says how many of the next bytes are chunk sizes.
  size_t k = std::min<size_t>(data[0] % 8, size - 1);
  absl::string_view chunks(reinterpret_cast<const char*>(data) + 1, k);
  absl::string_view csv(reinterpret_cast<const char*>(data) + 1 + k,
                        size - 1 - k);
  Result whole = Parse(csv, "");
  Result pieces = Parse(csv, chunks);
  // Which error comes first may depend on the chunking (a chunk is checked
  // for UTF-8 before it is parsed), but whether the input is good may not.
  FUZZ_CHECK(whole.status.ok() == pieces.status.ok());
  if (!whole.status.ok()) return 0;
  FUZZ_CHECK(whole.records == pieces.records);
  FUZZ_CHECK(whole.lines == pieces.lines);
  for (size_t i = 1; i < whole.lines.size(); ++i) {
    FUZZ_CHECK(whole.lines[i] > whole.lines[i - 1]);
  }
  return 0;
}
