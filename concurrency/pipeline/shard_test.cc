#include <map>
#include <string>

#include "concurrency/pipeline/check.h"
#include "concurrency/pipeline/shard_spec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/testing/status_matchers.h"

namespace concurrency::pipeline {
namespace {

using ::testing::HasSubstr;
using ::testing_util::IsOk;
using ::testing_util::StatusIs;

Getenv Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST(ShardSpecTest, ExplicitShards) {
  EXPECT_EQ(*ParseShardSpec("0/1", 0, Env({})), (Shard{0, 1}));
  EXPECT_EQ(*ParseShardSpec("3/4", 0, Env({})), (Shard{3, 4}));
  EXPECT_THAT(ParseShardSpec("4/4", 0, Env({})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("shard 4 is not in 0..3")));
  EXPECT_THAT(ParseShardSpec("0/0", 0, Env({})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("the shard count 0 is not >= 1")));
  EXPECT_THAT(ParseShardSpec("-1/4", 0, Env({})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("shard -1 is not in 0..3")));
  for (const char* bad : {"", "1", "1/2/3", "a/4", "1/b", " 1/4", "auto2"}) {
    EXPECT_THAT(ParseShardSpec(bad, 0, Env({})),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("is neither I/N")))
        << bad;
  }
}

TEST(ShardSpecTest, AutoReadsSlurmArrayVariables) {
  EXPECT_EQ(*ParseShardSpec("auto", 0,
                            Env({{"SLURM_ARRAY_TASK_ID", "2"},
                                 {"SLURM_ARRAY_TASK_MIN", "0"},
                                 {"SLURM_ARRAY_TASK_COUNT", "4"}})),
            (Shard{2, 4}));
  // --array=1-4: task IDs count from the array's minimum.
  EXPECT_EQ(*ParseShardSpec("auto", 0,
                            Env({{"SLURM_ARRAY_TASK_ID", "4"},
                                 {"SLURM_ARRAY_TASK_MIN", "1"},
                                 {"SLURM_ARRAY_TASK_COUNT", "4"}})),
            (Shard{3, 4}));
  EXPECT_THAT(ParseShardSpec("auto", 0, Env({{"SLURM_ARRAY_TASK_ID", "1"}})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("SLURM_ARRAY_TASK_COUNT is not")));
  EXPECT_THAT(ParseShardSpec("auto", 0,
                             Env({{"SLURM_ARRAY_TASK_ID", "x"},
                                  {"SLURM_ARRAY_TASK_COUNT", "4"}})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("SLURM_ARRAY_TASK_ID=\"x\" is not an "
                                 "integer")));
  EXPECT_THAT(ParseShardSpec("auto", 0,
                             Env({{"SLURM_ARRAY_TASK_ID", "9"},
                                  {"SLURM_ARRAY_TASK_COUNT", "4"}})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Slurm array task 9: shard 9 is not in")));
}

TEST(ShardSpecTest, AutoReadsTheKubernetesIndexWithTheGivenCount) {
  EXPECT_EQ(*ParseShardSpec("auto", 4, Env({{"JOB_COMPLETION_INDEX", "1"}})),
            (Shard{1, 4}));
  EXPECT_THAT(ParseShardSpec("auto", 0, Env({{"JOB_COMPLETION_INDEX", "1"}})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not the shard count")));
  EXPECT_THAT(ParseShardSpec("auto", 2, Env({{"JOB_COMPLETION_INDEX", "2"}})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("shard 2 is not in 0..1")));
}

TEST(ShardSpecTest, AutoWithoutASchedulerNamesWhatItLookedFor) {
  absl::Status s = ParseShardSpec("auto", 4, Env({})).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                          HasSubstr("SLURM_ARRAY_TASK_ID")));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                          HasSubstr("JOB_COMPLETION_INDEX")));
}

}  // namespace
}  // namespace concurrency::pipeline
