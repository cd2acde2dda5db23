// Scratch directories for tests: a fresh directory under the test's
// TEST_TMPDIR, and the sorted names of what a directory holds.
#ifndef TOOLS_TESTING_TEMP_DIR_H_
#define TOOLS_TESTING_TEMP_DIR_H_

#include <dirent.h>
#include <stdlib.h>

#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace testing_util {

// A new, empty directory; `prefix` makes it recognisable in failure output.
inline std::string NewTempDir(const std::string& prefix) {
  std::string tmpl = ::testing::TempDir() + "/" + prefix + "XXXXXX";
  EXPECT_NE(mkdtemp(tmpl.data()), nullptr) << tmpl;
  return tmpl;
}

// The names in `dir` (without "." and ".."), sorted.
inline std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  EXPECT_NE(d, nullptr) << dir;
  if (d == nullptr) return names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace testing_util

#endif  // TOOLS_TESTING_TEMP_DIR_H_
