#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "concurrency/io/atomic_file.h"
#include "concurrency/io/file_util.h"
#include "concurrency/io/listener.h"
#include "concurrency/io/posix_error.h"
#include "concurrency/io/read_write.h"
#include "concurrency/io/scoped_fd.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/testing/status_matchers.h"
#include "tools/testing/temp_dir.h"

namespace concurrency::io {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
using ::testing_util::IsOk;
using ::testing_util::IsOkAndHolds;
using ::testing_util::ListDir;
using ::testing_util::NewTempDir;
using ::testing_util::StatusIs;

bool IsOpen(int fd) { return fcntl(fd, F_GETFD) != -1; }

// A blocking client socket connected to 127.0.0.1:`port`, or an invalid one.
ScopedFd ConnectTo(int port) {
  ScopedFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    fd.Reset();
  }
  return fd;
}

// Descriptor 0 is a descriptor (stdin, or the first one a daemon opens),
// through the constructor and through Reset alike.
TEST(ScopedFdTest, DescriptorZeroIsOwnedLikeAnyOther) {
  ScopedFd a(0);
  EXPECT_TRUE(a.valid());
  EXPECT_EQ(a.Release(), 0);
  ScopedFd b;
  b.Reset(0);
  EXPECT_TRUE(b.valid());
  EXPECT_EQ(b.Release(), 0);  // stdin stays open for the rest of the test
  b.Reset(-7);
  EXPECT_FALSE(b.valid());
  EXPECT_EQ(b.get(), -1);
}

TEST(ScopedFdTest, ClosesOnDestructionAndMovesOwnership) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  ScopedFd write_end(fds[1]);
  {
    ScopedFd read_end(fds[0]);
    ScopedFd moved = std::move(read_end);
    EXPECT_FALSE(read_end.valid());
    EXPECT_EQ(moved.get(), fds[0]);
    EXPECT_TRUE(IsOpen(fds[0]));
  }
  EXPECT_FALSE(IsOpen(fds[0]));
  int raw = write_end.Release();
  EXPECT_FALSE(write_end.valid());
  EXPECT_TRUE(IsOpen(raw));
  write_end.Reset(raw);
  EXPECT_THAT(write_end.Close("close the pipe"), IsOk());
  EXPECT_FALSE(IsOpen(raw));
}

TEST(PosixErrorTest, NamesTheContextAndMapsTheCode) {
  absl::Status s = PosixError("open /nope/x.csv", ENOENT);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound,
                          HasSubstr("open /nope/x.csv: No such file")));
  EXPECT_THAT(
      PosixError("write /full", ENOSPC),
      StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("write /full")));
  EXPECT_THAT(PosixError("mystery", 0),
              StatusIs(absl::StatusCode::kUnknown, HasSubstr("mystery")));
}

TEST(ReadWriteTest, WritesAndReadsEveryByteThroughAPipe) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  ScopedFd read_end(fds[0]);
  ScopedFd write_end(fds[1]);
  // More than a pipe's 64 KiB buffer, so the writer sees partial writes
  // while the reader drains.
  std::string data(1 << 20, 'x');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  std::thread writer([&] {
    EXPECT_THAT(WriteAll(write_end.get(), data, "pipe"), IsOk());
    write_end.Reset();
  });
  absl::StatusOr<std::string> got = ReadAll(read_end.get(), "pipe");
  writer.join();
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(*got, data);
}

TEST(ReadWriteTest, ReadAllRefusesMoreThanItsLimit) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  ScopedFd read_end(fds[0]);
  ScopedFd write_end(fds[1]);
  ASSERT_THAT(WriteAll(write_end.get(), std::string(100, 'a'), "pipe"), IsOk());
  write_end.Reset();
  EXPECT_THAT(ReadAll(read_end.get(), "small pipe", 10),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("small pipe: more than 10 bytes")));
}

// The limit itself is allowed: exactly `max_bytes` is read whole.
TEST(ReadWriteTest, ReadAllTakesExactlyItsLimit) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  ScopedFd read_end(fds[0]);
  ScopedFd write_end(fds[1]);
  ASSERT_THAT(WriteAll(write_end.get(), std::string(10, 'a'), "pipe"), IsOk());
  write_end.Reset();
  absl::StatusOr<std::string> got = ReadAll(read_end.get(), "small pipe", 10);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(*got, std::string(10, 'a'));
}

// ReadFull asks each read for what is still missing and no more: over a
// packet socket, where each read takes one packet and drops what does not
// fit, the second packet is cut to the 5 bytes that complete the 8.
TEST(ReadWriteTest, ReadFullAsksOnlyForWhatIsMissing) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  ScopedFd a(sv[0]);
  ScopedFd b(sv[1]);
  ASSERT_EQ(send(a.get(), "abc", 3, 0), 3);
  ASSERT_EQ(send(a.get(), "defghijklm", 10, 0), 10);
  ASSERT_EQ(send(a.get(), "next", 4, 0), 4);
  char out[8];
  EXPECT_THAT(ReadFull(b.get(), out, sizeof out, "packets"), IsOkAndHolds(8u));
  EXPECT_EQ(std::string(out, sizeof out), "abcdefgh");
  char next[4];
  EXPECT_THAT(ReadFull(b.get(), next, sizeof next, "packets"),
              IsOkAndHolds(4u));
  EXPECT_EQ(std::string(next, sizeof next), "next");
}

TEST(ReadWriteTest, SendAllToAClosedPeerIsAnErrorNotSigpipe) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  ScopedFd a(sv[0]);
  ScopedFd b(sv[1]);
  b.Reset();
  EXPECT_THAT(SendAll(a.get(), "hello", "send to peer"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("send to peer")));
}

TEST(ReadWriteTest, SendAllOnAFullNonBlockingSocketSaysHowMuchWent) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  ScopedFd a(sv[0]);
  ScopedFd b(sv[1]);
  std::string big(8 << 20, 'z');
  size_t sent = 0;
  EXPECT_THAT(
      SendAll(a.get(), big, "send", &sent),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("would block")));
  EXPECT_GT(sent, 0u);
  EXPECT_LT(sent, big.size());
}

TEST(ReadWriteTest, SetBlockingTurnsONonblockOnAndOffAndKeepsOtherFlags) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  ScopedFd a(sv[0]);
  ScopedFd b(sv[1]);
  ASSERT_EQ(fcntl(a.get(), F_SETFL, O_APPEND), 0);
  for (bool blocking : {false, false, true, true, false}) {
    ASSERT_THAT(SetBlocking(a.get(), blocking, "s"), IsOk()) << blocking;
    const int flags = fcntl(a.get(), F_GETFL);
    EXPECT_EQ((flags & O_NONBLOCK) == 0, blocking);
    EXPECT_NE(flags & O_APPEND, 0);
  }
  EXPECT_THAT(
      SetBlocking(-1, true, "no socket"),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no socket")));
}

TEST(ReadWriteTest, GatheredSendsArriveInOrderAndResumeAtAnOffset) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  ScopedFd a(sv[0]);
  ScopedFd b(sv[1]);
  const absl::string_view pieces[] = {"head|", "", "body|", "\r\n"};
  ASSERT_THAT(SendAll(a.get(), pieces, "gather"), IsOk());
  absl::StatusOr<size_t> n = SendSome(a.get(), pieces, 7, "gather");
  ASSERT_THAT(n, IsOk());
  EXPECT_EQ(*n, 5u);  // "dy|\r\n"
  char buf[64];
  ssize_t got = read(b.get(), buf, sizeof buf);
  EXPECT_EQ(std::string(buf, got > 0 ? static_cast<size_t>(got) : 0),
            "head|body|\r\ndy|\r\n");
  // A full socket takes nothing: 0, not an error.
  std::string big(8 << 20, 'z');
  const absl::string_view one[] = {big};
  absl::StatusOr<size_t> first = SendSome(a.get(), one, 0, "fill");
  ASSERT_THAT(first, IsOk());
  absl::StatusOr<size_t> second = SendSome(a.get(), one, *first, "fill");
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(*second, 0u);
  // Nothing left to send is 0 sent, whatever errno an earlier call left.
  errno = EPIPE;
  EXPECT_THAT(SendSome(a.get(), pieces, 17, "nothing left"), IsOkAndHolds(0u));
  b.Reset();
  EXPECT_THAT(SendSome(a.get(), one, 0, "to a closed peer"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("to a closed peer")));
}

TEST(ListenerTest, AcceptsThenStopWakesABlockedAccept) {
  absl::StatusOr<std::unique_ptr<Listener>> l = Listener::Open("127.0.0.1", 0);
  ASSERT_THAT(l, IsOk());
  EXPECT_GT((*l)->port(), 0);
  ScopedFd client = ConnectTo((*l)->port());
  ASSERT_TRUE(client.valid());
  absl::StatusOr<AcceptedSocket> c = (*l)->Accept();
  ASSERT_THAT(c, IsOk());
  EXPECT_THAT(c->peer, HasSubstr("127.0.0.1:"));
  ASSERT_THAT(SendAll(client.get(), "ping", "client"), IsOk());
  char buf[4];
  ASSERT_EQ(read(c->fd.get(), buf, 4), 4);

  // Stop from another thread while Accept is blocked (or about to block:
  // either way it must return Cancelled, never hang).
  std::thread stopper([&] { (*l)->Stop(); });
  EXPECT_THAT((*l)->Accept(), StatusIs(absl::StatusCode::kCancelled));
  stopper.join();
  EXPECT_THAT((*l)->Accept(), StatusIs(absl::StatusCode::kCancelled));
}

// Descriptor 0 is a descriptor: a daemon started with stdin closed gets its
// first connection as fd 0.
TEST(ListenerTest, AConnectionOnDescriptorZeroIsAccepted) {
  absl::StatusOr<std::unique_ptr<Listener>> l = Listener::Open("127.0.0.1", 0);
  ASSERT_THAT(l, IsOk());
  ScopedFd client = ConnectTo((*l)->port());
  ASSERT_TRUE(client.valid());
  const int saved_stdin = dup(0);
  ASSERT_GE(saved_stdin, 0);
  close(0);
  absl::StatusOr<AcceptedSocket> c = (*l)->Accept();
  const int accepted_fd = c.ok() ? c->fd.get() : -1;
  if (c.ok()) c->fd.Reset();  // gives 0 back before stdin is restored
  ASSERT_EQ(dup2(saved_stdin, 0), 0);
  close(saved_stdin);
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(accepted_fd, 0);
}

// With no descriptor left, Accept says so (the listener's callers retry
// later); it neither spins nor blocks.
TEST(ListenerTest, NoDescriptorLeftIsAnErrorNamingTheListener) {
  absl::StatusOr<std::unique_ptr<Listener>> l = Listener::Open("127.0.0.1", 0);
  ASSERT_THAT(l, IsOk());
  ScopedFd client = ConnectTo((*l)->port());
  ASSERT_TRUE(client.valid());
  std::vector<ScopedFd> taken;
  while (true) {
    ScopedFd fd(dup(client.get()));
    if (!fd.valid()) break;
    taken.push_back(std::move(fd));
  }
  absl::StatusOr<AcceptedSocket> c = (*l)->Accept();
  absl::StatusOr<AcceptedSocket> nb = (*l)->AcceptNonBlocking();
  taken.clear();
  EXPECT_THAT(c.status(), StatusIs(absl::StatusCode::kResourceExhausted,
                                   HasSubstr("accept on 127.0.0.1:")));
  EXPECT_THAT(nb.status(), StatusIs(absl::StatusCode::kResourceExhausted,
                                    HasSubstr("accept on 127.0.0.1:")));
  // With descriptors free again, the same connection is accepted; then
  // none is waiting, which is no error of the listener's.
  EXPECT_THAT((*l)->AcceptNonBlocking(), IsOk());
  EXPECT_THAT((*l)->AcceptNonBlocking(),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("no connection waiting")));
}

// The accept queue holds `backlog` connections (1024 unless said), as far
// as the kernel's net.core.somaxconn allows. A listening socket's TCP_INFO
// reports its limit in tcpi_sacked (what `ss -l` shows as Send-Q).
TEST(ListenerTest, TheAcceptQueueHoldsTheBacklog) {
  absl::StatusOr<std::string> somaxconn =
      ReadFileToString("/proc/sys/net/core/somaxconn");
  ASSERT_THAT(somaxconn, IsOk());
  uint32_t kernel_max = 0;
  ASSERT_TRUE(
      absl::SimpleAtoi(absl::StripAsciiWhitespace(*somaxconn), &kernel_max));
  for (const auto& [backlog, want] :
       {std::pair<int, uint32_t>{-1, 1024}, {1, 1}, {100, 100}}) {
    absl::StatusOr<std::unique_ptr<Listener>> l =
        backlog < 0 ? Listener::Open("127.0.0.1", 0)
                    : Listener::Open("127.0.0.1", 0, backlog);
    ASSERT_THAT(l, IsOk());
    tcp_info info{};
    socklen_t len = sizeof info;
    ASSERT_EQ(getsockopt((*l)->fd(), IPPROTO_TCP, TCP_INFO, &info, &len), 0);
    EXPECT_EQ(info.tcpi_sacked, std::min(want, kernel_max)) << backlog;
  }
}

TEST(ListenerTest, BadAddressIsNamed) {
  EXPECT_THAT(Listener::Open("no.such.host.invalid", 0),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("no.such.host.invalid")));
}

// Syncing a directory that is not there is an error naming it.
TEST(FileUtilTest, SyncDirOfNoDirectoryIsNotFound) {
  const std::string dir = NewTempDir("sync");
  EXPECT_THAT(SyncDir(dir), IsOk());
  EXPECT_THAT(SyncDir(dir + "/none"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("open directory " + dir + "/none")));
}

TEST(FileUtilTest, SplitsPathsAndMakesDirectories) {
  EXPECT_EQ(DirName("a/b/c.txt"), "a/b");
  EXPECT_EQ(DirName("c.txt"), ".");
  EXPECT_EQ(DirName("/c.txt"), "/");
  EXPECT_EQ(BaseName("a/b/c.txt"), "c.txt");
  std::string dir = NewTempDir("util");
  ASSERT_THAT(MakeDirs(dir + "/x/y/z"), IsOk());
  EXPECT_THAT(ListDir(dir + "/x/y"), ElementsAre("z"));
  ASSERT_THAT(WriteFileAtomically(dir + "/f", "data"), IsOk());
  EXPECT_THAT(MakeDirs(dir + "/f"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("not a directory")));
  // A directory that cannot be made is named: under a file, or where
  // nothing may be written.
  EXPECT_THAT(MakeDirs(dir + "/f/sub"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("mkdir " + dir + "/f/sub")));
  EXPECT_THAT(MakeDirs("/proc/self/no_such_dir/x"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("mkdir /proc/self/no_such_dir")));
  EXPECT_THAT(ReadFileToString(dir + "/missing"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/missing")));
}

TEST(AtomicFileTest, AppearsOnlyOnCommitAndNeverReplaces) {
  std::string dir = NewTempDir("atomic");
  absl::StatusOr<std::unique_ptr<AtomicFile>> f =
      AtomicFile::Create(dir + "/out.txt");
  ASSERT_THAT(f, IsOk());
  ASSERT_THAT((*f)->Append("hello "), IsOk());
  ASSERT_THAT((*f)->Append(std::string(300 << 10, 'w')), IsOk());
  EXPECT_THAT(ListDir(dir), ElementsAre(BaseName((*f)->temp_path())));
  ASSERT_THAT((*f)->Commit(), IsOk());
  EXPECT_THAT(ListDir(dir), ElementsAre("out.txt"));
  absl::StatusOr<std::string> got = ReadFileToString(dir + "/out.txt");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->size(), 6u + (300 << 10));
  EXPECT_EQ((*f)->bytes_written(), got->size());
  EXPECT_THAT((*f)->Append("more"),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  EXPECT_THAT(WriteFileAtomically(dir + "/out.txt", "other"),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("out.txt already exists")));
  EXPECT_THAT(ListDir(dir), ElementsAre("out.txt"));
  ASSERT_THAT(WriteFileAtomically(dir + "/out.txt", "other",
                                  AtomicFile::Mode::kReplace),
              IsOk());
  EXPECT_EQ(*ReadFileToString(dir + "/out.txt"), "other");
}

// Descriptors of this process open on `path`.
int OpenFdsOn(const std::string& path) {
  char real[PATH_MAX];
  if (realpath(path.c_str(), real) == nullptr) return -1;
  absl::StatusOr<std::vector<std::string>> fds = ListDirectory("/proc/self/fd");
  int n = 0;
  for (const std::string& fd : fds.ok() ? *fds : std::vector<std::string>{}) {
    char target[4096];
    const std::string link = "/proc/self/fd/" + fd;
    ssize_t len = readlink(link.c_str(), target, sizeof(target));
    if (len > 0 && std::string(target, len) == real) ++n;
  }
  return n;
}

TEST(AtomicFileTest, SyncLaterNamesTheFileAtCommitAndSyncsItOnce) {
  std::string dir = NewTempDir("later");
  absl::StatusOr<std::unique_ptr<AtomicFile>> f = AtomicFile::Create(
      dir + "/out.tgz", AtomicFile::Mode::kNoReplace, AtomicFile::Sync::kLater);
  ASSERT_THAT(f, IsOk());
  ASSERT_THAT((*f)->Append(std::string(300 << 10, 'x')), IsOk());
  EXPECT_THAT((*f)->SyncLater(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_THAT((*f)->Commit(), IsOk());
  EXPECT_THAT(ListDir(dir), ElementsAre("out.tgz"));
  EXPECT_EQ(ReadFileToString(dir + "/out.tgz")->size(), size_t{300} << 10);
  EXPECT_EQ(OpenFdsOn(dir + "/out.tgz"), 1);  // kept for SyncLater
  EXPECT_THAT((*f)->SyncLater(), IsOk());
  EXPECT_EQ(OpenFdsOn(dir + "/out.tgz"), 0);
  EXPECT_THAT((*f)->SyncLater(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                          HasSubstr("out.tgz")));

  absl::StatusOr<std::unique_ptr<AtomicFile>> all =
      AtomicFile::Create(dir + "/all.txt");
  ASSERT_THAT(all, IsOk());
  ASSERT_THAT((*all)->Commit(), IsOk());
  EXPECT_THAT((*all)->SyncLater(),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  absl::StatusOr<std::unique_ptr<AtomicFile>> clash = AtomicFile::Create(
      dir + "/out.tgz", AtomicFile::Mode::kNoReplace, AtomicFile::Sync::kLater);
  ASSERT_THAT(clash, IsOk());
  EXPECT_THAT((*clash)->Commit(), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(ListDir(dir), UnorderedElementsAre("out.tgz", "all.txt"));
}

// Abandoning is final: the file takes no more bytes and cannot be
// committed, and nothing is left behind.
TEST(AtomicFileTest, AnAbandonedFileTakesNoMoreWrites) {
  std::string dir = NewTempDir("abandoned");
  absl::StatusOr<std::unique_ptr<AtomicFile>> f =
      AtomicFile::Create(dir + "/out.txt");
  ASSERT_THAT(f, IsOk());
  ASSERT_THAT((*f)->Append("partial"), IsOk());
  (*f)->Abandon();
  EXPECT_THAT((*f)->Append("more"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("already committed or failed")));
  EXPECT_THAT((*f)->Commit(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(ListDir(dir), ElementsAre());
}

TEST(AtomicFileTest, AbandonedFileLeavesNothing) {
  std::string dir = NewTempDir("abandon");
  {
    absl::StatusOr<std::unique_ptr<AtomicFile>> f =
        AtomicFile::Create(dir + "/gone.txt");
    ASSERT_THAT(f, IsOk());
    ASSERT_THAT((*f)->Append("partial"), IsOk());
  }
  EXPECT_THAT(ListDir(dir), ElementsAre());
  EXPECT_THAT(AtomicFile::Create(dir + "/"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(AtomicFile::Create(dir + "/no/such/dir/f"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("create ")));
}

}  // namespace
}  // namespace concurrency::io
