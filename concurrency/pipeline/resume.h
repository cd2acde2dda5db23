// -----------------------------------------------------------------------------
// File: resume.h
// -----------------------------------------------------------------------------
//
// OpenOutDir takes an output directory for one run (one shard of it): it
// locks it, reads and checks what an earlier run left, tidies what a killed
// run left half done, and says what is still to do.
//
// It refuses, changing nothing, when:
//   * another run holds the lock (.manifest.lock, or .manifest-I-of-N.lock);
//   * the manifest is corrupt, or belongs to a run of other settings;
//   * an archive the manifest names is missing, or its size or CRC-32 differs;
//   * there is no manifest but there are files of ours (data<N>.xml or
//     data<k>.tgz of this shard): they are not this run's to touch.
// Only once every check has passed does it remove, all of this shard's:
// temporary files (".NAME.tmp.*"), archives the manifest does not name,
// XML files of archived slots, and XML files that are not complete. A new
// directory gets its manifest (settings, no archives) before anything else.
//
// Thread-compatible.
#ifndef CONCURRENCY_PIPELINE_RESUME_H_
#define CONCURRENCY_PIPELINE_RESUME_H_

#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "concurrency/io/scoped_fd.h"
#include "concurrency/pipeline/layout.h"
#include "concurrency/pipeline/manifest.h"

namespace concurrency::pipeline {

struct OutDirState {
  Manifest manifest;        // as on disk after OpenOutDir
  std::set<int> xml_pages;  // complete data<page>.xml of unarchived slots
  io::ScopedFd lock;        // held for the run
};

absl::StatusOr<OutDirState> OpenOutDir(const std::string& dir,
                                       const Layout& layout,
                                       const RunSettings& settings);

// Writes `manifest` as `dir`/`name`, compacted, atomically and durably.
absl::Status WriteManifest(const std::string& dir, const std::string& name,
                           const Manifest& manifest);

// Appends `lines` (SerializeArchiveLine's) to the manifest `dir`/`name` in
// one write, and fsyncs it: one journal fsync for archives that finished
// together.
absl::Status AppendToManifest(const std::string& dir, const std::string& name,
                              absl::string_view lines);

}  // namespace concurrency::pipeline

#endif  // CONCURRENCY_PIPELINE_RESUME_H_
