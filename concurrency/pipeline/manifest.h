// -----------------------------------------------------------------------------
// File: manifest.h
// -----------------------------------------------------------------------------
//
// The manifest is the one record of what an output directory holds: the
// settings of the run it belongs to, and every archive written so far, with
// the pages in it, its size and its CRC-32. It is plain text, one fact a
// line, so a person can read it:
//
//   pipeline-manifest 1
//   url https://example.com/prices.csv?page_number={page}
//   pages 14
//   page_size 100
//   batch 2
//   shard 0/1
//   archive data1.tgz pages=1-2 size=2461 crc32=9a3f12cd
//   archive data2.tgz pages=3-4 size=2458 crc32=03c1e0aa
//
// It is replaced atomically (io::AtomicFile) after archives are durable and
// before their XML files are removed, so after a crash it never names an
// archive that is not complete. `Parse` is strict: anything else is an error
// naming the file and the line.
//
// Thread-compatible.
#ifndef CONCURRENCY_PIPELINE_MANIFEST_H_
#define CONCURRENCY_PIPELINE_MANIFEST_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concurrency/pipeline/layout.h"

namespace concurrency::pipeline {

// What identifies a run: a rerun must have the same.
struct RunSettings {
  std::string url;  // the URL template, "demo" for the built-in feed
  int pages = 0;
  int page_size = 0;
  int batch = 0;
  Shard shard;
  bool operator==(const RunSettings&) const = default;
};

struct ArchiveRecord {
  Range pages;
  uint64_t size = 0;
  uint32_t crc32 = 0;
  bool operator==(const ArchiveRecord&) const = default;
};

struct Manifest {
  RunSettings settings;
  std::map<int, ArchiveRecord> archives;  // by slot
};

std::string SerializeManifest(const Manifest& manifest);

// Parses a manifest; `source` (its path) names it in errors.
absl::StatusOr<Manifest> ParseManifest(absl::string_view text,
                                       absl::string_view source);

// OK if `found` (a manifest's settings) are `wanted`; else FailedPrecondition
// naming the first setting that differs and both values.
absl::Status CheckSameRun(const RunSettings& found, const RunSettings& wanted,
                          absl::string_view source);

// The size and CRC-32 of the file at `path`, read in bounded memory.
absl::StatusOr<ArchiveRecord> MeasureFile(const std::string& path);

}  // namespace concurrency::pipeline

#endif  // CONCURRENCY_PIPELINE_MANIFEST_H_
