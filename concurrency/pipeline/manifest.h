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
//   archive data1.tgz pages=1-2 size=2461 crc32=9a3f12cd sum=5d0e27a1
//   archive data2.tgz pages=3-4 size=2458 crc32=03c1e0aa sum=e1c9a570
//
// It is a journal: the settings are written once, atomically, when a run
// starts in an empty directory; each archive's line is then appended (and
// fsynced) after the archive is durable, lines of archives that finished
// together in one write and one fsync, so after a crash it never names an
// archive that is not complete. Each archive line ends with the CRC-32 of
// the rest of it (`sum=`). A last line that a crash cut short (no line
// break, or a wrong sum) is dropped on reading (`torn_tail`); a wrong sum
// elsewhere is corruption. At the end of a run the journal is compacted:
// rewritten atomically, archives in slot order. `Parse` is strict: anything
// else is an error naming the file and the line.
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
  // On reading: a cut last line was dropped (not serialized).
  bool torn_tail = false;
};

// The whole manifest, compacted: settings, then one line per archive.
std::string SerializeManifest(const Manifest& manifest);

// One archive's journal line, with its sum and line break.
std::string SerializeArchiveLine(int slot, const ArchiveRecord& record);

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
