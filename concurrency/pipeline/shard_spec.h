// -----------------------------------------------------------------------------
// File: shard_spec.h
// -----------------------------------------------------------------------------
//
// Which shard of a run this process is, from a spec and the environment a
// scheduler gives its tasks:
//
//   "I/N"   shard I of N, I counting from 0 ("0/1": the whole run);
//   "auto"  a Slurm job array task: SLURM_ARRAY_TASK_ID, counted from
//           SLURM_ARRAY_TASK_MIN (0 if unset), of SLURM_ARRAY_TASK_COUNT;
//           else a Kubernetes Indexed Job pod: JOB_COMPLETION_INDEX, of
//           `shards` (Kubernetes does not tell a pod the count).
//
// Errors are InvalidArgument and say what was wrong: text that does not
// parse, I >= N, N < 1, or, for "auto", that none of the variables it looks
// for is set (naming them). Thread-safe.
#ifndef CONCURRENCY_PIPELINE_SHARD_SPEC_H_
#define CONCURRENCY_PIPELINE_SHARD_SPEC_H_

#include <functional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concurrency/pipeline/layout.h"

namespace concurrency::pipeline {

// Looks up an environment variable; null when unset. (A function, so that
// tests need not change the process's environment.)
using Getenv = std::function<const char*(const char*)>;

// `shards` is the count for Kubernetes (0: not given).
absl::StatusOr<Shard> ParseShardSpec(absl::string_view spec, int shards,
                                     const Getenv& getenv);

}  // namespace concurrency::pipeline

#endif  // CONCURRENCY_PIPELINE_SHARD_SPEC_H_
