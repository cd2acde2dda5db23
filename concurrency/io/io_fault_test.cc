// The io library's error paths that no real file system takes on demand,
// reached by making one libc call fail (tools/testing/syscall_faults.h).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "concurrency/io/atomic_file.h"
#include "concurrency/io/file_util.h"
#include "concurrency/io/read_write.h"
#include "concurrency/io/scoped_fd.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/testing/status_matchers.h"
#include "tools/testing/syscall_faults.h"
#include "tools/testing/temp_dir.h"

namespace concurrency::io {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing_util::Call;
using ::testing_util::IsOk;
using ::testing_util::IsOkAndHolds;
using ::testing_util::ListDir;
using ::testing_util::NewTempDir;
using ::testing_util::StatusIs;
using ::testing_util::SyscallFault;

absl::Status WriteVia(const std::string& path, const std::string& data,
                      AtomicFile::Sync sync) {
  absl::StatusOr<std::unique_ptr<AtomicFile>> f =
      AtomicFile::Create(path, AtomicFile::Mode::kNoReplace, sync);
  if (!f.ok()) return f.status();
  if (absl::Status s = (*f)->Append(data); !s.ok()) return s;
  return (*f)->Commit();
}

// A file whose fsync fails is never given its final name: its bytes may not
// be on the disk.
TEST(AtomicFileFaultTest, AFailedFsyncLeavesNoFileUnderAnyName) {
  const std::string dir = NewTempDir("fsync");
  SyscallFault fault(Call::kFsync, EIO);
  EXPECT_THAT(WriteVia(dir + "/a", "data", AtomicFile::Sync::kAll),
              StatusIs(absl::StatusCode::kUnknown, HasSubstr("fsync")));
  EXPECT_EQ(fault.hits(), 1);
  EXPECT_THAT(ListDir(dir), IsEmpty());
}

// The directory's fsync (after the rename) is reported: the name may not
// survive a power loss, and the caller must not record it as durable.
TEST(AtomicFileFaultTest, AFailedDirectoryFsyncIsReported) {
  const std::string dir = NewTempDir("dirsync");
  SyscallFault fault(Call::kFsync, EIO, /*times=*/1, /*after=*/1);
  EXPECT_THAT(WriteVia(dir + "/a", "data", AtomicFile::Sync::kAll),
              StatusIs(absl::StatusCode::kUnknown,
                       HasSubstr("fsync directory " + dir)));
  EXPECT_EQ(fault.hits(), 1);
}

// After a failed fsync the page cache may have dropped the dirty pages and
// marked them clean: a second fsync could then succeed with the data lost
// (PostgreSQL's "fsyncgate"). So SyncLater fails once and for all; it is
// not tried again.
TEST(AtomicFileFaultTest, AFailedSyncLaterIsNotRetried) {
  const std::string dir = NewTempDir("later");
  absl::StatusOr<std::unique_ptr<AtomicFile>> f = AtomicFile::Create(
      dir + "/a", AtomicFile::Mode::kNoReplace, AtomicFile::Sync::kLater);
  ASSERT_THAT(f.status(), IsOk());
  ASSERT_THAT((*f)->Append("data"), IsOk());
  ASSERT_THAT((*f)->Commit(), IsOk());
  SyscallFault fault(Call::kFsync, EIO, /*times=*/2);
  EXPECT_THAT((*f)->SyncLater(), StatusIs(absl::StatusCode::kUnknown,
                                          HasSubstr("fsync " + dir + "/a")));
  EXPECT_THAT((*f)->SyncLater(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("not a committed Sync::kLater file")));
  EXPECT_EQ(fault.hits(), 1);
}

// A file system without renameat2's RENAME_NOREPLACE (EINVAL, or ENOSYS on
// an old kernel) gets link() and unlink(): the file appears whole, the
// temporary goes, and an existing file is still not overwritten.
TEST(AtomicFileFaultTest, WithoutRenameNoReplaceLinkStillCommitsOnce) {
  for (int err : {EINVAL, ENOSYS}) {
    const std::string dir = NewTempDir("link");
    {
      SyscallFault fault(Call::kRenameat2, err);
      ASSERT_THAT(WriteVia(dir + "/a", "first", AtomicFile::Sync::kAll),
                  IsOk());
      EXPECT_EQ(fault.hits(), 1);
    }
    EXPECT_THAT(ListDir(dir), ElementsAre("a"));
    EXPECT_THAT(ReadFileToString(dir + "/a"), IsOkAndHolds("first"));
    SyscallFault fault(Call::kRenameat2, err);
    EXPECT_THAT(WriteVia(dir + "/a", "second", AtomicFile::Sync::kAll),
                StatusIs(absl::StatusCode::kAlreadyExists));
    EXPECT_EQ(fault.hits(), 1);
    EXPECT_THAT(ListDir(dir), ElementsAre("a"));
    EXPECT_THAT(ReadFileToString(dir + "/a"), IsOkAndHolds("first"));
  }
}

// Any other refusal of the rename is the commit's error, and no link is
// tried.
TEST(AtomicFileFaultTest, AnotherRenameErrorFailsTheCommit) {
  const std::string dir = NewTempDir("rename");
  SyscallFault rename(Call::kRenameat2, EACCES);
  SyscallFault link(Call::kLink, EXDEV);
  EXPECT_THAT(WriteVia(dir + "/a", "data", AtomicFile::Sync::kAll),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("rename to " + dir + "/a")));
  EXPECT_EQ(rename.hits(), 1);
  EXPECT_EQ(link.hits(), 0);
  EXPECT_THAT(ListDir(dir), IsEmpty());
}

// A write that fails (a full disk) fails the file, and the temporary goes.
TEST(AtomicFileFaultTest, AFailedWriteLeavesNothing) {
  const std::string dir = NewTempDir("full");
  SyscallFault fault(Call::kWrite, ENOSPC);
  EXPECT_THAT(WriteVia(dir + "/a", "data", AtomicFile::Sync::kAll),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("write " + dir + "/.a.tmp.")));
  EXPECT_EQ(fault.hits(), 1);
  EXPECT_THAT(ListDir(dir), IsEmpty());
}

// Bytes that could not be written are lost, so the file is spent at once:
// its temporary goes, and later appends and the commit fail rather than
// write a file with a hole in it.
TEST(AtomicFileFaultTest, AfterAFailedWriteNothingMoreIsWritten) {
  const std::string dir = NewTempDir("spent");
  absl::StatusOr<std::unique_ptr<AtomicFile>> f =
      AtomicFile::Create(dir + "/a");
  ASSERT_THAT(f.status(), IsOk());
  {
    SyscallFault fault(Call::kWrite, EIO);
    EXPECT_THAT((*f)->Append(std::string(1 << 20, 'x')),  // past the buffer
                StatusIs(absl::StatusCode::kUnknown, HasSubstr("write ")));
    EXPECT_EQ(fault.hits(), 1);
  }
  EXPECT_THAT(ListDir(dir), IsEmpty());
  EXPECT_THAT((*f)->Append("more"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT((*f)->Commit(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(ListDir(dir), IsEmpty());
}

// A read or a write interrupted by a signal (EINTR) is tried again: no
// byte is lost or doubled.
TEST(ReadWriteFaultTest, InterruptedCallsAreRetried) {
  const std::string dir = NewTempDir("eintr");
  const std::string data(200000, 'x');
  {
    SyscallFault fault(Call::kWrite, EINTR, /*times=*/3);
    ASSERT_THAT(WriteVia(dir + "/a", data, AtomicFile::Sync::kNone), IsOk());
    EXPECT_EQ(fault.hits(), 3);
  }
  SyscallFault fault(Call::kRead, EINTR, /*times=*/3);
  EXPECT_THAT(ReadFileToString(dir + "/a"), IsOkAndHolds(data));
  EXPECT_EQ(fault.hits(), 3);
  ScopedFd fd(open((dir + "/a").c_str(), O_RDONLY | O_CLOEXEC));
  std::string buf(data.size(), '\0');
  SyscallFault again(Call::kRead, EINTR, /*times=*/2);
  EXPECT_THAT(ReadFull(fd.get(), buf.data(), buf.size(), "a"),
              IsOkAndHolds(data.size()));
  EXPECT_EQ(again.hits(), 2);
  EXPECT_EQ(buf, data);
}

// ReadFull stops at the end of the stream even when an interrupted read
// came before it (errno is then still EINTR), and makes no read once it has
// what it was asked for.
TEST(ReadWriteFaultTest, ReadFullStopsAtTheEndAndWhenItHasAll) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  ScopedFd read_end(fds[0]);
  ScopedFd write_end(fds[1]);
  ASSERT_THAT(WriteAll(write_end.get(), "abcdef", "pipe"), IsOk());
  char buf[4];
  {
    SyscallFault fault(Call::kRead, EIO, /*times=*/1, /*after=*/1);
    EXPECT_THAT(ReadFull(read_end.get(), buf, sizeof buf, "pipe"),
                IsOkAndHolds(4u));
    EXPECT_EQ(fault.hits(), 0);  // one read was enough
  }
  write_end.Reset();
  SyscallFault fault(Call::kRead, EINTR);
  EXPECT_THAT(ReadFull(read_end.get(), buf, sizeof buf, "pipe"),
              IsOkAndHolds(2u));
  EXPECT_EQ(fault.hits(), 1);
  EXPECT_EQ(std::string(buf, 2), "ef");
}

// Any other read error is the caller's, naming what was read.
TEST(ReadWriteFaultTest, AReadErrorNamesTheFile) {
  const std::string dir = NewTempDir("eio");
  ASSERT_THAT(WriteVia(dir + "/a", "data", AtomicFile::Sync::kNone), IsOk());
  SyscallFault fault(Call::kRead, EIO);
  EXPECT_THAT(
      ReadFileToString(dir + "/a"),
      StatusIs(absl::StatusCode::kUnknown, HasSubstr("read " + dir + "/a")));
  ScopedFd fd(open((dir + "/a").c_str(), O_RDONLY | O_CLOEXEC));
  char buf[4];
  SyscallFault again(Call::kRead, EIO);
  EXPECT_THAT(ReadFull(fd.get(), buf, sizeof buf, "the file a"),
              StatusIs(absl::StatusCode::kUnknown, HasSubstr("the file a")));
}

// Removing a file that is already gone is success; any other failure is
// not.
TEST(FileUtilFaultTest, RemoveFileReportsAllButAMissingFile) {
  const std::string dir = NewTempDir("rm");
  ASSERT_THAT(WriteVia(dir + "/a", "data", AtomicFile::Sync::kNone), IsOk());
  {
    SyscallFault fault(Call::kUnlink, EACCES);
    EXPECT_THAT(RemoveFile(dir + "/a"),
                StatusIs(absl::StatusCode::kPermissionDenied,
                         HasSubstr("remove " + dir + "/a")));
  }
  EXPECT_THAT(ListDir(dir), ElementsAre("a"));
  {
    SyscallFault fault(Call::kUnlink, ENOENT);
    EXPECT_THAT(RemoveFile(dir + "/a"), IsOk());
  }
  errno = EACCES;  // left over from an earlier call: no part of the answer
  EXPECT_THAT(RemoveFile(dir + "/a"), IsOk());
  EXPECT_THAT(ListDir(dir), IsEmpty());
}

}  // namespace
}  // namespace concurrency::io
