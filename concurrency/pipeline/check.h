// -----------------------------------------------------------------------------
// File: check.h
// -----------------------------------------------------------------------------
//
// CheckOutDir checks a finished output directory across all its shards: the
// manifests must agree on the run (url, pages, page_size, batch, shard
// count), every archive they name must be there with its size and CRC-32 and
// hold exactly the XML files of its pages, and every page 1..pages must be in
// exactly one archive. It reports what is wrong, shard by shard, rather than
// stopping at the first problem.
//
// Thread-compatible; reads only.
#ifndef CONCURRENCY_PIPELINE_CHECK_H_
#define CONCURRENCY_PIPELINE_CHECK_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "concurrency/pipeline/manifest.h"

namespace concurrency::pipeline {

struct CheckReport {
  RunSettings settings;               // of the run (shard: 0 of the count)
  int archives = 0;                   // named by the manifests
  std::vector<int> missing_shards;    // no manifest, or not every slot
  std::vector<Range> missing_pages;   // in no archive
  std::vector<int> duplicate_pages;   // in more than one archive
  std::vector<std::string> problems;  // damaged archives, mixed manifests
  bool ok() const {
    return missing_shards.empty() && missing_pages.empty() &&
           duplicate_pages.empty() && problems.empty();
  }
};

// Fails only when `dir` holds no manifest or cannot be read; everything
// else is in the report.
absl::StatusOr<CheckReport> CheckOutDir(const std::string& dir);

// The report in a few lines a person can act on.
std::string DescribeCheck(const CheckReport& report);

}  // namespace concurrency::pipeline

#endif  // CONCURRENCY_PIPELINE_CHECK_H_
