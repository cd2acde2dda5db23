// The interposers behind syscall_faults.h. C, not C++: the definitions must
// match glibc's declarations exactly, and C has no exception specifications
// to disagree with them.
//
// Each function below is found before libc's when it is linked into the test
// executable itself (the BUILD makes that so: alwayslink, and the tests
// that use it link statically): the dynamic linker looks in the executable
// first, for our own code and libc's callers alike. Unarmed, each passes the
// call on to the next definition (libc's, or a sanitizer's interceptor,
// which passes it to libc's).
#define _GNU_SOURCE
#include "tools/testing/syscall_faults_shim.h"

#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

static _Atomic int armed_errno[kSyscallFaultCalls];
static _Atomic int armed_left[kSyscallFaultCalls];
static _Atomic int armed_after[kSyscallFaultCalls];
static _Atomic int hit_count[kSyscallFaultCalls];

void SyscallFaultArm(enum SyscallFaultCall call, int err, int after,
                     int times) {
  atomic_store(&armed_errno[call], err);
  atomic_store(&armed_after[call], after);
  atomic_store(&hit_count[call], 0);
  atomic_store(&armed_left[call], times);
}

void SyscallFaultDisarm(enum SyscallFaultCall call) {
  atomic_store(&armed_left[call], 0);
}

int SyscallFaultHits(enum SyscallFaultCall call) {
  return atomic_load(&hit_count[call]);
}

// The errno this call is to fail with, or 0 to go through.
static int Fault(enum SyscallFaultCall call) {
  if (atomic_load(&armed_left[call]) <= 0) return 0;
  if (atomic_fetch_sub(&armed_after[call], 1) > 0) return 0;
  if (atomic_fetch_sub(&armed_left[call], 1) <= 0) return 0;
  atomic_fetch_add(&hit_count[call], 1);
  return atomic_load(&armed_errno[call]);
}

// The next definition of `name` after ours, looked up once (atomically:
// two threads may make their first call at once).
#define NEXT(type, name)                                                      \
  static _Atomic(type) cached_##name;                                         \
  type next_##name =                                                          \
      atomic_load_explicit(&cached_##name, memory_order_acquire);             \
  if (next_##name == NULL) {                                                  \
    next_##name = (type)dlsym(RTLD_NEXT, #name);                              \
    atomic_store_explicit(&cached_##name, next_##name, memory_order_release); \
  }

#define FAIL_IF_ARMED(call) \
  do {                      \
    int e = Fault(call);    \
    if (e != 0) {           \
      errno = e;            \
      return -1;            \
    }                       \
  } while (0)

int fsync(int fd) {
  typedef int (*Fn)(int);
  NEXT(Fn, fsync);
  FAIL_IF_ARMED(kSyscallFaultFsync);
  return next_fsync(fd);
}

int renameat2(int olddirfd, const char* oldpath, int newdirfd,
              const char* newpath, unsigned int flags) {
  typedef int (*Fn)(int, const char*, int, const char*, unsigned int);
  NEXT(Fn, renameat2);
  FAIL_IF_ARMED(kSyscallFaultRenameat2);
  return next_renameat2(olddirfd, oldpath, newdirfd, newpath, flags);
}

int link(const char* oldpath, const char* newpath) {
  typedef int (*Fn)(const char*, const char*);
  NEXT(Fn, link);
  FAIL_IF_ARMED(kSyscallFaultLink);
  return next_link(oldpath, newpath);
}

int unlink(const char* path) {
  typedef int (*Fn)(const char*);
  NEXT(Fn, unlink);
  FAIL_IF_ARMED(kSyscallFaultUnlink);
  return next_unlink(path);
}

ssize_t read(int fd, void* buf, size_t n) {
  typedef ssize_t (*Fn)(int, void*, size_t);
  NEXT(Fn, read);
  FAIL_IF_ARMED(kSyscallFaultRead);
  return next_read(fd, buf, n);
}

ssize_t write(int fd, const void* buf, size_t n) {
  typedef ssize_t (*Fn)(int, const void*, size_t);
  NEXT(Fn, write);
  FAIL_IF_ARMED(kSyscallFaultWrite);
  return next_write(fd, buf, n);
}

ssize_t recv(int fd, void* buf, size_t n, int flags) {
  typedef ssize_t (*Fn)(int, void*, size_t, int);
  NEXT(Fn, recv);
  FAIL_IF_ARMED(kSyscallFaultRecv);
  return next_recv(fd, buf, n, flags);
}

ssize_t send(int fd, const void* buf, size_t n, int flags) {
  typedef ssize_t (*Fn)(int, const void*, size_t, int);
  NEXT(Fn, send);
  FAIL_IF_ARMED(kSyscallFaultSend);
  return next_send(fd, buf, n, flags);
}

int poll(struct pollfd* fds, nfds_t nfds, int timeout) {
  typedef int (*Fn)(struct pollfd*, nfds_t, int);
  NEXT(Fn, poll);
  FAIL_IF_ARMED(kSyscallFaultPoll);
  return next_poll(fds, nfds, timeout);
}

// glibc declares the address as a transparent union in C (GNU).
int connect(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len) {
  typedef int (*Fn)(int, __CONST_SOCKADDR_ARG, socklen_t);
  NEXT(Fn, connect);
  FAIL_IF_ARMED(kSyscallFaultConnect);
  return next_connect(fd, addr, len);
}

// What optimized code calls instead of read and recv where it knows the
// buffer's size (_FORTIFY_SOURCE, on under --config=asan's -O1).
ssize_t __read_chk(int fd, void* buf, size_t n, size_t buflen) {
  typedef ssize_t (*Fn)(int, void*, size_t, size_t);
  NEXT(Fn, __read_chk);
  FAIL_IF_ARMED(kSyscallFaultRead);
  return next___read_chk(fd, buf, n, buflen);
}

ssize_t __recv_chk(int fd, void* buf, size_t n, size_t buflen, int flags) {
  typedef ssize_t (*Fn)(int, void*, size_t, size_t, int);
  NEXT(Fn, __recv_chk);
  FAIL_IF_ARMED(kSyscallFaultRecv);
  return next___recv_chk(fd, buf, n, buflen, flags);
}
