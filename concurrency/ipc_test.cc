#include "concurrency/ipc.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/testing/status_matchers.h"

namespace concurrency {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing_util::IsOk;
using ::testing_util::StatusIs;

TEST(CodecTest, RoundTrips) {
  EXPECT_EQ(*Codec<int>::Decode(Codec<int>::Encode(-7)), -7);
  EXPECT_EQ(*Codec<std::string>::Decode(Codec<std::string>::Encode("abc")),
            "abc");
  const std::vector<uint64_t> v = {1, 2, 24678050};
  EXPECT_EQ(*Codec<std::vector<uint64_t>>::Decode(
                Codec<std::vector<uint64_t>>::Encode(v)),
            v);
  EXPECT_THAT(Codec<std::vector<uint64_t>>::Decode(""), IsOk());
}

TEST(CodecTest, WrongSizesAreDataLoss) {
  EXPECT_THAT(
      Codec<int>::Decode("abc"),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("expected 4 bytes")));
  EXPECT_THAT(Codec<std::vector<uint64_t>>::Decode("123456789"),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(PipeTest, DuplexRoundTrip) {
  auto pipe = MakePipe();
  ASSERT_THAT(pipe, IsOk());
  auto& [a, b] = *pipe;
  ASSERT_THAT(a.Send(100), IsOk());
  absl::StatusOr<int> got = b.Recv<int>();
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(*got, 100);
  ASSERT_THAT(b.Send(*got * 2), IsOk());
  absl::StatusOr<int> back = a.Recv<int>();
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(*back, 200);
}

TEST(PipeTest, LargeMessagesArriveWhole) {
  auto pipe = MakePipe();
  ASSERT_THAT(pipe, IsOk());
  // Larger than a socket buffer: the writer needs a concurrent reader.
  const std::string big(3 << 20, 'x');
  absl::Status sent;
  std::thread writer([&] { sent = pipe->first.SendBytes(big); });
  absl::StatusOr<std::string> got = pipe->second.RecvBytes();
  writer.join();
  ASSERT_THAT(sent, IsOk());
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->size(), big.size());
  EXPECT_EQ(*got, big);
}

TEST(PipeTest, ClosedPeerEndsTheStreamAndFailsSends) {
  auto pipe = MakePipe();
  ASSERT_THAT(pipe, IsOk());
  ASSERT_THAT(pipe->first.Send(std::string("last")), IsOk());
  pipe->first.Close();
  EXPECT_EQ(*pipe->second.Recv<std::string>(), "last");
  EXPECT_THAT(pipe->second.RecvBytes(),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("closed")));
  EXPECT_THAT(
      pipe->second.Send(1),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("closed")));
}

TEST(PipeTest, MessageCutShortIsDataLoss) {
  auto pipe = MakePipe();
  ASSERT_THAT(pipe, IsOk());
  // A header announcing 100 bytes, then 3 bytes, then the end.
  const uint32_t size = 100;
  ASSERT_EQ(write(pipe->first.fd(), &size, 4), 4);
  ASSERT_EQ(write(pipe->first.fd(), "abc", 3), 3);
  pipe->first.Close();
  EXPECT_THAT(pipe->second.RecvBytes(), StatusIs(absl::StatusCode::kDataLoss,
                                                 HasSubstr("cut at 3 of 100")));
}

TEST(ProcessQueueTest, FifoAndTimeout) {
  auto queue = ProcessQueue<std::string>::Create();
  ASSERT_THAT(queue, IsOk());
  ASSERT_THAT((*queue)->Put("abc"), IsOk());
  ASSERT_THAT((*queue)->Put("def"), IsOk());
  EXPECT_EQ(*(*queue)->Get(), "abc");
  EXPECT_EQ(*(*queue)->Get(absl::ZeroDuration()), "def");
  EXPECT_THAT((*queue)->Get(absl::Milliseconds(5)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST(ProcessQueueTest, AnEmptyMessageIsAMessage) {
  auto queue = ProcessQueue<std::string>::Create();
  ASSERT_THAT(queue, IsOk());
  ASSERT_THAT((*queue)->Put(""), IsOk());
  ASSERT_THAT((*queue)->Put("after"), IsOk());
  absl::StatusOr<std::string> empty = (*queue)->Get(absl::Seconds(10));
  ASSERT_THAT(empty, IsOk());
  EXPECT_EQ(*empty, "");
  EXPECT_EQ(*(*queue)->Get(absl::Seconds(10)), "after");
}

TEST(ProcessQueueTest, OversizedMessageIsRefused) {
  auto queue = ProcessQueue<std::string>::Create();
  ASSERT_THAT(queue, IsOk());
  EXPECT_THAT(
      (*queue)->Put(std::string(kMaxQueueMessageBytes + 1, 'x')),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("exceeds")));
  ASSERT_THAT((*queue)->Put(std::string(kMaxQueueMessageBytes, 'y')), IsOk());
  EXPECT_EQ((*queue)->Get()->size(), kMaxQueueMessageBytes);
}

}  // namespace
}  // namespace concurrency
