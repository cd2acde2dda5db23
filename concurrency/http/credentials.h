// Credentials for HTTP basic auth, as a command line gives them: flags, a
// file, or the environment.
//
// Thread-safety: LoadCredentials reads the environment and a file; call it
// from main, before threads start.
#ifndef CONCURRENCY_HTTP_CREDENTIALS_H_
#define CONCURRENCY_HTTP_CREDENTIALS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace concurrency::http {

struct Credentials {
  std::string user;
  std::string password;
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

}  // namespace concurrency::http

#endif  // CONCURRENCY_HTTP_CREDENTIALS_H_
