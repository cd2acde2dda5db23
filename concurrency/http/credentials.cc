#include "concurrency/http/credentials.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "concurrency/io/file_util.h"

namespace concurrency::http {

absl::StatusOr<Credentials> LoadCredentials(absl::string_view user,
                                            absl::string_view password,
                                            const std::string& path,
                                            absl::string_view env_prefix) {
  if (!user.empty() || !password.empty()) {
    return Credentials{std::string(user), std::string(password)};
  }
  if (!path.empty()) {
    absl::StatusOr<std::string> text = io::ReadFileToString(path);
    if (!text.ok()) return text.status();
    absl::string_view line = absl::StripTrailingAsciiWhitespace(*text);
    size_t colon = line.find(':');
    if (colon == absl::string_view::npos ||
        line.find('\n') != absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "credentials file ", path, ": expected one line user:password"));
    }
    return Credentials{std::string(line.substr(0, colon)),
                       std::string(line.substr(colon + 1))};
  }
  const char* env_user = std::getenv(absl::StrCat(env_prefix, "_USER").c_str());
  const char* env_password =
      std::getenv(absl::StrCat(env_prefix, "_PASSWORD").c_str());
  return Credentials{env_user ? env_user : "",
                     env_password ? env_password : ""};
}

bool BasicAuthAdmits(const Credentials& expected, const HttpRequest& request) {
  if (expected.empty()) return true;
  absl::string_view header = request.Header("authorization");
  std::string given;
  // The scheme's name is case-insensitive (RFC 7617, 2).
  if (!absl::StartsWithIgnoreCase(header, "basic ") ||
      !absl::Base64Unescape(header.substr(6), &given)) {
    return false;
  }
  const std::string want = absl::StrCat(expected.user, ":", expected.password);
  unsigned diff = given.size() != want.size();
  for (size_t i = 0; i < want.size(); ++i) {
    const char g = i < given.size() ? given[i] : '\0';
    diff |= static_cast<unsigned char>(g ^ want[i]);
  }
  return diff == 0;
}

HttpResponse BasicAuthChallenge(absl::string_view realm) {
  HttpResponse r = TextResponse(401, "authentication required");
  r.headers.emplace_back(
      "WWW-Authenticate",
      absl::StrCat("Basic realm=\"", realm, "\", charset=\"UTF-8\""));
  return r;
}

}  // namespace concurrency::http
