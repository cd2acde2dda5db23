// Credentials for HTTP basic auth: as a command line gives them (flags, a
// file, or the environment), and the one check of a request against them,
// which every server of the tree uses.
//
// Thread-safety: LoadCredentials reads the environment and a file; call it
// from main, before threads start. BasicAuthAdmits and BasicAuthChallenge
// keep no state.
#ifndef CONCURRENCY_HTTP_CREDENTIALS_H_
#define CONCURRENCY_HTTP_CREDENTIALS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concurrency/http/request.h"
#include "concurrency/http/response.h"

namespace concurrency::http {

struct Credentials {
  std::string user;
  std::string password;
  // No credentials: a server that has none asks for none.
  bool empty() const { return user.empty() && password.empty(); }
};

// Picks credentials, first match wins: `user`/`password` (flags), then the
// file `path` (one line `user:password`), then the environment variables
// `<env_prefix>_USER` / `<env_prefix>_PASSWORD`. None at all gives empty
// credentials (no auth). An unreadable or malformed file is an error naming
// it; the credentials themselves never appear in an error.
absl::StatusOr<Credentials> LoadCredentials(absl::string_view user,
                                            absl::string_view password,
                                            const std::string& path,
                                            absl::string_view env_prefix);

// Whether `request` may pass: `expected` is empty (no auth), or the request's
// `Authorization: Basic` header (the scheme in any case) decodes to exactly
// `user:password`. The
// comparison reads every byte of the expected string whatever the first
// difference, so its time does not tell a client how much of a guess was
// right.
bool BasicAuthAdmits(const Credentials& expected, const HttpRequest& request);

// The 401 that asks a client for credentials for `realm` (a quoted-string
// token: no quotes or backslashes in it).
HttpResponse BasicAuthChallenge(absl::string_view realm);

}  // namespace concurrency::http

#endif  // CONCURRENCY_HTTP_CREDENTIALS_H_
