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

TEST(CredentialsTest, FlagsThenFileThenEnvironment) {
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

HttpRequest WithAuthorization(absl::string_view value) {
  HttpRequest r;
  r.headers["authorization"] = std::string(value);
  return r;
}

TEST(BasicAuthTest, AdmitsExactlyTheUserAndPassword) {
  const Credentials c{"user", "pa:ss"};
  // base64("user:pa:ss")
  EXPECT_TRUE(BasicAuthAdmits(c, WithAuthorization("Basic dXNlcjpwYTpzcw==")));
  EXPECT_TRUE(BasicAuthAdmits(c, WithAuthorization("basic dXNlcjpwYTpzcw==")));
  const struct {
    const char* header;
    const char* why;
  } refused[] = {
      {"", "no header"},
      {"Basic dXNlcjpwYTpzcyE=", "user:pa:ss! (a byte appended)"},
      {"Basic dXNlcjpwYTpz", "user:pa:s (a byte short)"},
      {"Basic dXNlcjpwYTpzWA==", "user:pa:sX (the last byte wrong)"},
      {"Basic WXNlcjpwYTpzcw==", "Yser:pa:ss (the first byte wrong)"},
      {"Basic dXNlcjpwYTpz=", "base64 padded wrongly"},
      {"Basic %%%", "not base64"},
      {"Bearer dXNlcjpwYTpzcw==", "another scheme"},
      {"BasicdXNlcjpwYTpzcw==", "no space after the scheme"},
  };
  for (const auto& r : refused) {
    EXPECT_FALSE(BasicAuthAdmits(c, WithAuthorization(r.header))) << r.why;
  }
}

TEST(BasicAuthTest, NoCredentialsAdmitEveryRequest) {
  EXPECT_TRUE(BasicAuthAdmits(Credentials{}, HttpRequest{}));
  EXPECT_TRUE(BasicAuthAdmits(Credentials{}, WithAuthorization("Basic e30=")));
  // A password alone is a credential too: ":p" is asked for.
  EXPECT_FALSE(BasicAuthAdmits(Credentials{"", "p"}, HttpRequest{}));
  EXPECT_TRUE(
      BasicAuthAdmits(Credentials{"", "p"}, WithAuthorization("Basic OnA=")));
}

TEST(BasicAuthTest, TheChallengeNamesItsRealm) {
  HttpResponse r = BasicAuthChallenge("camera");
  EXPECT_EQ(r.status, 401);
  EXPECT_THAT(r.headers, ::testing::Contains(::testing::Pair(
                             "WWW-Authenticate",
                             "Basic realm=\"camera\", charset=\"UTF-8\"")));
}

}  // namespace
}  // namespace concurrency::http
