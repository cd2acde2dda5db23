// The telnet client's connect when a libc call fails
// (tools/testing/syscall_faults.h).
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "classes/telnet_client.h"
#include "concurrency/io/listener.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/testing/status_matchers.h"
#include "tools/testing/syscall_faults.h"

namespace classes {
namespace {

using ::testing::HasSubstr;
using ::testing_util::Call;
using ::testing_util::IsOk;
using ::testing_util::StatusIs;
using ::testing_util::SyscallFault;

// A connect that fails at once (no route, say) is the error, naming the
// peer; a signal while the connection is under way is no failure.
TEST(TelnetClientFaultTest, ConnectFailingAtOnceOrInterrupted) {
  absl::StatusOr<std::unique_ptr<concurrency::io::Listener>> listener =
      concurrency::io::Listener::Open("127.0.0.1", 0);
  ASSERT_THAT(listener.status(), IsOk());
  const int port = (*listener)->port();
  {
    SyscallFault connect(Call::kConnect, ENETUNREACH);
    EXPECT_THAT(TelnetClient::Connect("127.0.0.1", port).status(),
                StatusIs(absl::StatusCode::kUnavailable,
                         HasSubstr(absl::StrCat("telnet 127.0.0.1:", port,
                                                ": Network is unreachable"))));
    EXPECT_EQ(connect.hits(), 1);
  }
  SyscallFault poll(Call::kPoll, EINTR);
  EXPECT_THAT(TelnetClient::Connect("127.0.0.1", port).status(), IsOk());
  EXPECT_EQ(poll.hits(), 1);
}

}  // namespace
}  // namespace classes
