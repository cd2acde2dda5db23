// ProcStatusField: one number of /proc/PID/status ("VmRSS:", "VmSize:",
// "Threads:"; kB fields in KiB), for tests and benchmarks that measure a
// process's memory or threads. 0 when the process or the field is not there.
#ifndef TOOLS_TESTING_PROC_STATUS_H_
#define TOOLS_TESTING_PROC_STATUS_H_

#include <cstdint>
#include <fstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace testing_util {

// `pid` is a process id, or "self".
inline int64_t ProcStatusField(absl::string_view pid, absl::string_view field) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  for (std::string line; std::getline(status, line);) {
    absl::string_view v = line;
    if (!absl::ConsumePrefix(&v, field)) continue;
    int64_t n = 0;
    v = absl::StripSuffix(absl::StripAsciiWhitespace(v), " kB");
    return absl::SimpleAtoi(v, &n) ? n : 0;
  }
  return 0;
}

}  // namespace testing_util

#endif  // TOOLS_TESTING_PROC_STATUS_H_
