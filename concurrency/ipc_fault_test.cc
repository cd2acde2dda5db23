// ipc's error paths that a healthy socket pair never takes, reached by
// making one libc call fail (tools/testing/syscall_faults.h).
#include <cerrno>
#include <string>

#include "absl/time/time.h"
#include "concurrency/ipc.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/testing/status_matchers.h"
#include "tools/testing/syscall_faults.h"

namespace concurrency {
namespace {

using ::testing::HasSubstr;
using ::testing_util::Call;
using ::testing_util::IsOk;
using ::testing_util::IsOkAndHolds;
using ::testing_util::StatusIs;
using ::testing_util::SyscallFault;

std::unique_ptr<ProcessQueue<std::string>> NewQueue() {
  absl::StatusOr<std::unique_ptr<ProcessQueue<std::string>>> q =
      ProcessQueue<std::string>::Create();
  EXPECT_THAT(q.status(), IsOk());
  return *std::move(q);
}

// A signal during a put or a get (EINTR) is not an error: the call is made
// again, and the message goes through once.
TEST(ProcessQueueFaultTest, InterruptedCallsAreMadeAgain) {
  std::unique_ptr<ProcessQueue<std::string>> q = NewQueue();
  {
    SyscallFault send(Call::kSend, EINTR, /*times=*/2);
    ASSERT_THAT(q->Put("one"), IsOk());
    EXPECT_EQ(send.hits(), 2);
  }
  {
    SyscallFault recv(Call::kRecv, EINTR, /*times=*/2);
    EXPECT_THAT(q->Get(absl::Seconds(20)), IsOkAndHolds("one"));
    EXPECT_EQ(recv.hits(), 2);
  }
  ASSERT_THAT(q->Put("two"), IsOk());
  // Nothing there at first (another process took it, say): then poll is
  // interrupted, and the next look finds the message.
  SyscallFault recv(Call::kRecv, EAGAIN);
  SyscallFault poll(Call::kPoll, EINTR);
  EXPECT_THAT(q->Get(absl::Seconds(20)), IsOkAndHolds("two"));
  EXPECT_EQ(recv.hits(), 1);
  EXPECT_EQ(poll.hits(), 1);
  EXPECT_THAT(q->Get(absl::ZeroDuration()),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
}

// Any other failure of send, recv or poll is the caller's error, naming the
// call; the message is neither lost nor doubled by it.
TEST(ProcessQueueFaultTest, OtherErrorsAreReturnedNamingTheCall) {
  std::unique_ptr<ProcessQueue<std::string>> q = NewQueue();
  {
    SyscallFault send(Call::kSend, ENOBUFS);
    EXPECT_THAT(q->Put("lost"), StatusIs(absl::StatusCode::kResourceExhausted,
                                         HasSubstr("ProcessQueue: send")));
  }
  ASSERT_THAT(q->Put("kept"), IsOk());
  {
    SyscallFault recv(Call::kRecv, ENOMEM);
    EXPECT_THAT(q->Get(absl::Seconds(20)),
                StatusIs(absl::StatusCode::kResourceExhausted,
                         HasSubstr("ProcessQueue: recv")));
  }
  {
    SyscallFault recv(Call::kRecv, EAGAIN);
    SyscallFault poll(Call::kPoll, ENOMEM);
    EXPECT_THAT(q->Get(absl::Seconds(20)),
                StatusIs(absl::StatusCode::kResourceExhausted,
                         HasSubstr("ProcessQueue: poll")));
  }
  EXPECT_THAT(q->Get(absl::Seconds(20)), IsOkAndHolds("kept"));
  EXPECT_THAT(q->Get(absl::ZeroDuration()),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
}

// A pipe end's failing read, in a message's length or in its bytes, is an
// error naming the pipe; a failing send too.
TEST(PipeFaultTest, ReadAndSendErrorsNameThePipe) {
  absl::StatusOr<std::pair<PipeEnd, PipeEnd>> pipe = MakePipe();
  ASSERT_THAT(pipe.status(), IsOk());
  auto& [a, b] = *pipe;
  for (int after : {0, 1}) {  // the length, then the message's bytes
    ASSERT_THAT(a.SendBytes("hello"), IsOk());
    SyscallFault read(Call::kRead, EIO, /*times=*/1, after);
    EXPECT_THAT(b.RecvBytes(),
                StatusIs(absl::StatusCode::kUnknown, HasSubstr(": recv")))
        << after;
    EXPECT_EQ(read.hits(), 1);
  }
  SyscallFault send(Call::kSend, ENOBUFS);
  EXPECT_THAT(
      a.SendBytes("hello"),
      StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr(": send")));
}

}  // namespace
}  // namespace concurrency
