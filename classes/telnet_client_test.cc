#include "classes/telnet_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "classes/suppress.h"
#include "classes/telnet_decoder.h"
#include "classes/telnet_server.h"
#include "concurrency/io/atomic_file.h"
#include "concurrency/io/file_util.h"
#include "concurrency/io/listener.h"
#include "concurrency/io/read_write.h"
#include "concurrency/io/scoped_fd.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/testing/refusing_port.h"
#include "tools/testing/status_matchers.h"

namespace classes {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing_util::IsOk;
using ::testing_util::StatusIs;

std::string HistoryPath(absl::string_view name) {
  std::string p = absl::StrCat(::testing::TempDir(), "/", name);
  unlink(p.c_str());
  return p;
}

TEST(TelnetSessionTest, LoginInteractAndHistory) {
  auto server = DemoTelnetServer::Start();
  ASSERT_THAT(server.status(), IsOk());
  std::string history = HistoryPath("history1.txt");
  std::ostringstream out;
  {
    auto session = TelnetSession::Open("127.0.0.1", (*server)->port(), history);
    ASSERT_THAT(session.status(), IsOk());
    EXPECT_EQ((*session)->timeout, absl::Seconds(10));  // the default
    ASSERT_THAT((*session)->Login("jim", "secret", out), IsOk());
    std::istringstream commands("echo hello\nwhoami\nls\n");
    ASSERT_THAT((*session)->Interact(commands, out), IsOk());
    // Every option the server proposed was refused, subnegotiation skipped.
    EXPECT_THAT((*session)->client().negotiation(),
                ElementsAre("WONT 1", "DONT 3"));
  }  // __exit__: the history is appended here
  EXPECT_THAT(out.str(), HasSubstr("Welcome, jim."));
  EXPECT_THAT(out.str(),
              HasSubstr("hello\r\n$ jim\r\n$ sh: ls: command not found"));
  EXPECT_EQ(*concurrency::io::ReadFileToString(history),
            "echo hello\nwhoami\nls\n");
  EXPECT_THAT((*server)->answers(), ElementsAre("WONT 1", "DONT 3"));
}

TEST(TelnetSessionTest, HistoryIsWrittenWhenAnExceptionPropagates) {
  auto server = DemoTelnetServer::Start();
  ASSERT_THAT(server.status(), IsOk());
  std::string history = HistoryPath("history2.txt");
  std::ostringstream out;
  EXPECT_THROW(
      {
        auto session =
            TelnetSession::Open("127.0.0.1", (*server)->port(), history);
        ASSERT_THAT(session.status(), IsOk());
        ASSERT_THAT((*session)->Login("jim", "pw", out), IsOk());
        std::istringstream commands("pwd\n");
        ASSERT_THAT((*session)->Interact(commands, out), IsOk());
        throw std::runtime_error("TEST");  // the tutorial's raise
      },
      std::runtime_error);
  EXPECT_EQ(*concurrency::io::ReadFileToString(history), "pwd\n");
}

TEST(TelnetSessionTest, SuppressingLikeExitReturningTrue) {
  auto server = DemoTelnetServer::Start();
  ASSERT_THAT(server.status(), IsOk());
  std::string history = HistoryPath("history3.txt");
  std::string reported;
  absl::Status s = RunSuppressing(
      [&] {
        auto session =
            TelnetSession::Open("127.0.0.1", (*server)->port(), history);
        if (!session.ok()) return;
        std::ostringstream out;
        (void)(*session)->Login("jim", "pw", out);
        std::istringstream commands("whoami\n");
        (void)(*session)->Interact(commands, out);
        throw std::runtime_error("TEST");
      },
      [&](absl::string_view what) { reported = std::string(what); });
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInternal, HasSubstr("TEST")));
  EXPECT_EQ(reported, "TEST");
  EXPECT_EQ(*concurrency::io::ReadFileToString(history), "whoami\n");
}

TEST(TelnetClientTest, ConnectionRefused) {
  testing_util::RefusingPort down;
  ASSERT_NE(down.port(), 0);
  EXPECT_THAT(TelnetClient::Connect("127.0.0.1", down.port()).status(),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("Connection refused")));
}

TEST(TelnetClientTest, SilentServerTimesOut) {
  // A listening socket that never answers: the connection completes in the
  // kernel's backlog, and nothing is ever sent.
  concurrency::io::ScopedFd listening(
      socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const int fd = listening.get();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  auto client = TelnetClient::Connect("127.0.0.1", ntohs(addr.sin_port));
  ASSERT_THAT(client.status(), IsOk());
  EXPECT_THAT((*client)->ReadUntil("login: ", absl::Milliseconds(100)).status(),
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       HasSubstr("no 'login: ' within 100ms")));
}

TEST(TelnetClientTest, ServerClosingMidReadIsAnError) {
  auto server = DemoTelnetServer::Start({.close_after = "Password: "});
  ASSERT_THAT(server.status(), IsOk());
  auto session = TelnetSession::Open("127.0.0.1", (*server)->port(),
                                     HistoryPath("history4.txt"));
  ASSERT_THAT(session.status(), IsOk());
  std::ostringstream out;
  EXPECT_THAT((*session)->Login("jim", "pw", out),
              StatusIs(absl::StatusCode::kUnavailable,
                       // closed or reset, while sending the password or waiting
                       // for the prompt: which one is a race
                       HasSubstr("telnet 127.0.0.1:")));
}

// What the server sent before it left is quoted in the error, its line ends
// and other control bytes made visible.
TEST(TelnetClientTest, WhatArrivedIsQuotedPrintablyInTheError) {
  auto listener = concurrency::io::Listener::Open("127.0.0.1", 0);
  ASSERT_THAT(listener.status(), IsOk());
  absl::Notification read;
  std::thread server([&listener, &read] {
    absl::StatusOr<concurrency::io::AcceptedSocket> c = (*listener)->Accept();
    if (!c.ok()) return;
    (void)concurrency::io::SendAll(c->fd.get(), "Welcome\r\n\a\tPassword? ",
                                   "server");
    // The end of what it sends (FIN); it closes only once the client has
    // read it, so that anything the client sent cannot turn that into RST.
    shutdown(c->fd.get(), SHUT_WR);
    read.WaitForNotification();
  });
  auto client = TelnetClient::Connect("127.0.0.1", (*listener)->port());
  ASSERT_THAT(client.status(), IsOk());
  EXPECT_THAT(
      (*client)->ReadUntil("login: ", absl::Seconds(30)).status(),
      StatusIs(absl::StatusCode::kUnavailable,
               HasSubstr("closed the connection before 'login: ' (received "
                         "'Welcome\\r\\n??Password? ')")));
  read.Notify();
  server.join();
}

// A server that resets the connection (RST, not FIN) is named as such.
TEST(TelnetClientTest, AServerThatResetsIsNamed) {
  auto listener = concurrency::io::Listener::Open("127.0.0.1", 0);
  ASSERT_THAT(listener.status(), IsOk());
  absl::Notification opened;  // the reset comes only once the session is up
  std::thread server([&listener, &opened] {
    absl::StatusOr<concurrency::io::AcceptedSocket> c = (*listener)->Accept();
    if (!c.ok()) return;
    opened.WaitForNotification();
    linger abort{1, 0};  // close() sends RST
    setsockopt(c->fd.get(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  });
  auto session = TelnetSession::Open("127.0.0.1", (*listener)->port(),
                                     HistoryPath("history_reset.txt"));
  opened.Notify();
  server.join();
  ASSERT_THAT(session.status(), IsOk());
  std::ostringstream out;
  EXPECT_THAT((*session)->Login("jim", "pw", out),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("the server reset the connection")));
}

TEST(TelnetClientTest, Byte255IsEscapedBothWays) {
  auto server = DemoTelnetServer::Start();
  ASSERT_THAT(server.status(), IsOk());
  auto session = TelnetSession::Open("127.0.0.1", (*server)->port(),
                                     HistoryPath("history5.txt"));
  ASSERT_THAT(session.status(), IsOk());
  std::ostringstream out;
  ASSERT_THAT((*session)->Login("jim", "pw", out), IsOk());
  std::istringstream commands(
      "echo a\xFF"
      "b\n");
  ASSERT_THAT((*session)->Interact(commands, out), IsOk());
  EXPECT_THAT(out.str(), HasSubstr("a\xFF"
                                   "b\r\n$ "));
}

// What a server sends, decoded: data, doubled IACs as one 255, every option
// refused (DO -> WONT, WILL -> DONT), subnegotiations skipped whole. The
// result is the same however the bytes are split.
TEST(TelnetDecoderTest, DataOptionsAndSubnegotiationsWhateverTheSplit) {
  const std::string in = std::string(
      "ab\xFF\xFF"                        // data, then a doubled IAC
      "\xFF\xFD\x18"                      // DO 24
      "\xFF\xFB\x01"                      // WILL 1
      "\xFF\xFA\x18\x01\xFF\xFF\xFF\xF0"  // SB 24 1 IAC IAC IAC SE
      "cd\xFF\xFE\x05\xFF\xFC\x06"
      "ef",  // data, DONT 5, WONT 6, data
      28);
  const std::string want_data =
      "ab\xFF"
      "cdef";
  const std::string want_replies = "\xFF\xFC\x18\xFF\xFE\x01";
  for (size_t split = 0; split <= in.size(); ++split) {
    TelnetDecoder d;
    std::string data, replies;
    d.Consume(absl::string_view(in).substr(0, split), &data, &replies);
    d.Consume(absl::string_view(in).substr(split), &data, &replies);
    EXPECT_EQ(data, want_data) << "split at " << split;
    EXPECT_EQ(replies, want_replies) << "split at " << split;
    EXPECT_THAT(d.negotiation(), ::testing::ElementsAre("WONT 24", "DONT 1"))
        << "split at " << split;
  }
}

// The prompts of a Linux login, as the tutorial's session expects them.
TEST(TelnetSessionTest, DefaultPromptsAreALinuxLogins) {
  const Prompts p;
  EXPECT_EQ(p.login, "login: ");
  EXPECT_EQ(p.password, "Password: ");
  EXPECT_EQ(p.shell, "$ ");
}

}  // namespace
}  // namespace classes
