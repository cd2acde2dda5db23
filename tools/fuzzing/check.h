// FUZZ_CHECK(condition): the fuzz targets' assertion. On failure it prints
// the condition and where, then aborts, which libFuzzer reports as a crash
// (saving the input) and the corpus replay as a failed test.
#ifndef TOOLS_FUZZING_CHECK_H_
#define TOOLS_FUZZING_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                          \
  do {                                                                 \
    if (!(condition)) {                                                \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, \
                   __LINE__, #condition);                              \
      std::abort();                                                    \
    }                                                                  \
  } while (0)

#endif  // TOOLS_FUZZING_CHECK_H_
