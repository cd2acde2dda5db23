#include "concurrency/http/credentials.h"

#include <stdlib.h>

#include <string>

#include "concurrency/io/atomic_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/testing/status_matchers.h"

namespace concurrency::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing_util::IsOk;
using ::testing_util::StatusIs;

TEST(Credentials, FlagsThenFileThenEnvironment) {
  setenv("TOOL_USER", "env-user", 1);
  setenv("TOOL_PASSWORD", "env-pass", 1);
  std::string file = ::testing::TempDir() + "/creds";
  ASSERT_THAT(io::WriteFileAtomically(file, "file-user:file:pass\n",
                                      io::AtomicFile::Mode::kReplace),
              IsOk());
  absl::StatusOr<Credentials> c = LoadCredentials("u", "p", file, "TOOL");
  ASSERT_THAT(c.status(), IsOk());
  EXPECT_EQ(c->user, "u");
  c = LoadCredentials("", "", file, "TOOL");
  ASSERT_THAT(c.status(), IsOk());
  EXPECT_EQ(c->user, "file-user");
  EXPECT_EQ(c->password, "file:pass");
  c = LoadCredentials("", "", "", "TOOL");
  ASSERT_THAT(c.status(), IsOk());
  EXPECT_EQ(c->user, "env-user");
  EXPECT_EQ(c->password, "env-pass");
  c = LoadCredentials("", "", "", "OTHER_TOOL");
  ASSERT_THAT(c.status(), IsOk());
  EXPECT_TRUE(c->empty());
  ASSERT_THAT(io::WriteFileAtomically(file, "no colon secret",
                                      io::AtomicFile::Mode::kReplace),
              IsOk());
  absl::Status bad = LoadCredentials("", "", file, "TOOL").status();
  EXPECT_THAT(bad,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(file)));
  EXPECT_THAT(std::string(bad.message()), Not(HasSubstr("secret")));
  EXPECT_THAT(LoadCredentials("", "", file + ".missing", "TOOL").status(),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace concurrency::http
