// Lesson: thread-local data. Each thread has its own `x`; what one thread
// writes, another does not see.
//
//   bazel run //concurrency:thread_local
#include <cstdio>
#include <thread>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"

namespace {

// Python: l = threading.local(); C++: a thread_local variable, one instance
// per thread, each starting from the initial value.
thread_local int x = 0;

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "threading.local(): a thread sets x = 2 and prints it; the main "
      "thread still sees its own x = 1.");
  absl::ParseCommandLine(argc, argv);
  x = 1;  // l.x = 1
  std::thread([] {
    x = 2;  // l.x = 2, in the other thread
    std::printf("in thread x =  %d\n", x);
  }).join();
  std::printf("%d\n", x);  // the main thread's x is still 1
  return 0;
}
