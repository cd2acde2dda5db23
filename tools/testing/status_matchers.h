// -----------------------------------------------------------------------------
// File: status_matchers.h
// -----------------------------------------------------------------------------
//
// gMock matchers for `absl::Status` and `absl::StatusOr<T>`, which abseil
// 20220623 does not ship:
//
//   EXPECT_THAT(queue.Push(1), IsOk());
//   EXPECT_THAT(pool.Submit(f), StatusIs(absl::StatusCode::kFailedPrecondition,
//                                        HasSubstr("Shutdown")));
//
// Test-only.

#ifndef TOOLS_TESTING_STATUS_MATCHERS_H_
#define TOOLS_TESTING_STATUS_MATCHERS_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"

namespace testing_util {

inline const absl::Status& GetStatus(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

// Matches an OK `absl::Status` or `absl::StatusOr<T>`.
MATCHER(IsOk, "is OK") {
  const absl::Status& status = GetStatus(arg);
  if (!status.ok()) {
    *result_listener << "status is " << status;
  }
  return status.ok();
}

// Matches an OK `absl::StatusOr<T>` whose value matches `value_matcher`.
MATCHER_P(IsOkAndHolds, value_matcher, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(value_matcher, *arg, result_listener);
}

// Matches a status whose code is `code` and whose message matches
// `message_matcher` (anything, if omitted).
MATCHER_P2(StatusIs, code, message_matcher,
           absl::StrCat("has code ", absl::StatusCodeToString(code))) {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code &&
         ::testing::ExplainMatchResult(
             message_matcher, std::string(status.message()), result_listener);
}

MATCHER_P(StatusIs, code,
          absl::StrCat("has code ", absl::StatusCodeToString(code))) {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code;
}

}  // namespace testing_util

#endif  // TOOLS_TESTING_STATUS_MATCHERS_H_
