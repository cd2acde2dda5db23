// A writer whose compressor cannot be allocated: in a process of its own,
// since libdeflate's allocator is process-wide and each thread keeps its
// compressor once it has one.
#include <libdeflate.h>

#include <cstdlib>
#include <string>

#include "absl/time/time.h"
#include "concurrency/pipeline/targz/tar_gz.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/testing/status_matchers.h"
#include "tools/testing/temp_dir.h"

namespace concurrency::pipeline {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing_util::IsOk;
using ::testing_util::ListDir;
using ::testing_util::NewTempDir;
using ::testing_util::StatusIs;

void* NoMemory(size_t) { return nullptr; }

absl::Status WriteOne(const std::string& path, int threads) {
  absl::StatusOr<std::unique_ptr<TarGzWriter>> w =
      TarGzWriter::Create(path, {.threads = threads});
  if (!w.ok()) return w.status();
  absl::Status s = (*w)->AddMember("a", "data", absl::UnixEpoch());
  absl::Status commit = (*w)->Commit();
  return s.ok() ? commit : s;
}

// Out of memory for the compressor is an error of the archive, which is not
// written; once memory is back, the next archive is, on the same threads.
TEST(TarGzAllocTest, NoMemoryForACompressorFailsTheArchiveAndNothingElse) {
  const std::string dir = NewTempDir("alloc");
  // Two threads first: the pool's threads, and their compressors, end with
  // their writer, so no compressor exists when the allocator is swapped
  // (libdeflate's rule); one thread is the test's own.
  for (int threads : {2, 1}) {
    libdeflate_set_memory_allocator(NoMemory, free);
    EXPECT_THAT(WriteOne(dir + "/a.tgz", threads),
                StatusIs(absl::StatusCode::kResourceExhausted,
                         HasSubstr("libdeflate_alloc_compressor failed")))
        << threads;
    EXPECT_THAT(ListDir(dir), IsEmpty());
    libdeflate_set_memory_allocator(malloc, free);
    ASSERT_THAT(WriteOne(dir + "/a.tgz", threads), IsOk()) << threads;
    absl::StatusOr<std::vector<TarMember>> back = ReadTarGz(dir + "/a.tgz");
    ASSERT_THAT(back.status(), IsOk());
    ASSERT_EQ(back->size(), 1u);
    EXPECT_EQ((*back)[0].data, "data");
    ASSERT_EQ(std::remove((dir + "/a.tgz").c_str()), 0);
  }
}

}  // namespace
}  // namespace concurrency::pipeline
