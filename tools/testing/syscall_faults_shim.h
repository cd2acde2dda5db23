// The C interface of the interposers in syscall_faults_shim.c; tests use
// syscall_faults.h.
#ifndef TOOLS_TESTING_SYSCALL_FAULTS_SHIM_H_
#define TOOLS_TESTING_SYSCALL_FAULTS_SHIM_H_

#ifdef __cplusplus
extern "C" {
#endif

enum SyscallFaultCall {
  kSyscallFaultFsync,
  kSyscallFaultRenameat2,
  kSyscallFaultLink,
  kSyscallFaultUnlink,
  kSyscallFaultRead,
  kSyscallFaultWrite,
  kSyscallFaultRecv,
  kSyscallFaultSend,
  kSyscallFaultPoll,
  kSyscallFaultConnect,
  kSyscallFaultCalls
};

// The calls of `call` after the next `after` fail with `err`, `times` of
// them; hits restart at 0.
void SyscallFaultArm(enum SyscallFaultCall call, int err, int after, int times);
void SyscallFaultDisarm(enum SyscallFaultCall call);
// Calls of `call` failed since it was armed.
int SyscallFaultHits(enum SyscallFaultCall call);

#ifdef __cplusplus
}
#endif

#endif  // TOOLS_TESTING_SYSCALL_FAULTS_SHIM_H_
