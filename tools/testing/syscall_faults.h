// SyscallFault: makes a libc call fail with a chosen errno, in tests, to
// reach error paths that no real file system or socket takes on demand: an
// fsync that reports EIO, a file system without renameat2's
// RENAME_NOREPLACE, a recv or send that fails, a read or poll interrupted
// by a signal, a connect that fails at once.
//
//   // The next fsync, from any thread, fails with EIO.
//   testing_util::SyscallFault fault(testing_util::Call::kFsync, EIO);
//   EXPECT_THAT(file->Commit(), StatusIs(absl::StatusCode::kDataLoss));
//   EXPECT_EQ(fault.hits(), 1);
//
// The calls are interposed (syscall_faults_shim.c), which works only when
// the shim is linked into the test executable: a test using this library
// sets `linkstatic = True`. Unarmed, every call goes through to libc, under
// the sanitizers too. Calls that libc makes internally (fopen's open) are
// not seen, and neither are calls the compiler turns into others.
//
// Thread-safety: a fault may be hit from any thread; arm one at a time per
// call, from the test's thread. The destructor disarms.
#ifndef TOOLS_TESTING_SYSCALL_FAULTS_H_
#define TOOLS_TESTING_SYSCALL_FAULTS_H_

#include "tools/testing/syscall_faults_shim.h"

namespace testing_util {

enum class Call {
  kFsync = kSyscallFaultFsync,
  kRenameat2 = kSyscallFaultRenameat2,
  kLink = kSyscallFaultLink,
  kUnlink = kSyscallFaultUnlink,
  kRead = kSyscallFaultRead,
  kWrite = kSyscallFaultWrite,
  kRecv = kSyscallFaultRecv,
  kSend = kSyscallFaultSend,
  kPoll = kSyscallFaultPoll,
  kConnect = kSyscallFaultConnect,
};

class SyscallFault {
 public:
  // Calls of `call` after the next `after` fail with `err`, `times` of them.
  SyscallFault(Call call, int err, int times = 1, int after = 0)
      : call_(static_cast<SyscallFaultCall>(call)) {
    SyscallFaultArm(call_, err, after, times);
  }
  ~SyscallFault() { SyscallFaultDisarm(call_); }
  SyscallFault(const SyscallFault&) = delete;
  SyscallFault& operator=(const SyscallFault&) = delete;

  // How many calls it failed so far.
  int hits() const { return SyscallFaultHits(call_); }

 private:
  const SyscallFaultCall call_;
};

}  // namespace testing_util

#endif  // TOOLS_TESTING_SYSCALL_FAULTS_H_
