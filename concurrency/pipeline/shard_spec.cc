#include "concurrency/pipeline/shard_spec.h"

#include <algorithm>
#include <cstdint>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace concurrency::pipeline {
namespace {

absl::StatusOr<Shard> Checked(int64_t index, int64_t count,
                              absl::string_view what) {
  if (count < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": the shard count ", count, " is not >= 1"));
  }
  if (index < 0 || index >= count) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": shard ", index,
                                                   " is not in 0..", count - 1,
                                                   " (shards count from 0)"));
  }
  return Shard{static_cast<int>(index), static_cast<int>(count)};
}

// The integer value of variable `name`: nullopt when unset, an error when
// set to something else than an integer.
absl::StatusOr<std::optional<int64_t>> IntVar(const Getenv& getenv,
                                              const char* name) {
  const char* v = getenv(name);
  if (v == nullptr) return std::optional<int64_t>();
  int64_t n = 0;
  if (!absl::SimpleAtoi(v, &n)) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, "=\"", v, "\" is not an integer"));
  }
  return std::optional<int64_t>(n);
}

absl::StatusOr<Shard> FromSlurm(const Getenv& getenv, int64_t id) {
  absl::StatusOr<std::optional<int64_t>> min =
      IntVar(getenv, "SLURM_ARRAY_TASK_MIN");
  absl::StatusOr<std::optional<int64_t>> count =
      IntVar(getenv, "SLURM_ARRAY_TASK_COUNT");
  if (!min.ok()) return min.status();
  if (!count.ok()) return count.status();
  if (!count->has_value()) {
    return absl::InvalidArgumentError(
        "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not");
  }
  return Checked(id - min->value_or(0), **count,
                 absl::StrCat("Slurm array task ", id));
}

absl::StatusOr<Shard> Auto(int shards, const Getenv& getenv) {
  absl::StatusOr<std::optional<int64_t>> slurm =
      IntVar(getenv, "SLURM_ARRAY_TASK_ID");
  if (!slurm.ok()) return slurm.status();
  if (slurm->has_value()) return FromSlurm(getenv, **slurm);
  absl::StatusOr<std::optional<int64_t>> k8s =
      IntVar(getenv, "JOB_COMPLETION_INDEX");
  if (!k8s.ok()) return k8s.status();
  if (k8s->has_value()) {
    if (shards < 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "JOB_COMPLETION_INDEX=", **k8s,
          " is set, but not the shard count (the Job's completions), which "
          "Kubernetes does not pass to a pod"));
    }
    return Checked(**k8s, shards, "Kubernetes completion index");
  }
  return absl::InvalidArgumentError(
      "auto: none of the variables a scheduler sets is there: looked for "
      "SLURM_ARRAY_TASK_ID (with SLURM_ARRAY_TASK_MIN and "
      "SLURM_ARRAY_TASK_COUNT, for a Slurm job array) and "
      "JOB_COMPLETION_INDEX (for a Kubernetes Indexed Job)");
}

// An optional minus and digits only (SimpleAtoi would also take spaces).
bool ParseInt(absl::string_view text, int64_t* value) {
  absl::string_view digits = text;
  absl::ConsumePrefix(&digits, "-");
  return !digits.empty() &&
         std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit) &&
         absl::SimpleAtoi(text, value);
}

}  // namespace

absl::StatusOr<Shard> ParseShardSpec(absl::string_view spec, int shards,
                                     const Getenv& getenv) {
  if (spec == "auto") return Auto(shards, getenv);
  std::vector<absl::string_view> parts = absl::StrSplit(spec, '/');
  int64_t index = 0, count = 0;
  if (parts.size() != 2 || !ParseInt(parts[0], &index) ||
      !ParseInt(parts[1], &count)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "shard \"", spec, "\" is neither I/N (e.g. 0/4) nor auto"));
  }
  return Checked(index, count, absl::StrCat("shard ", spec));
}

}  // namespace concurrency::pipeline
