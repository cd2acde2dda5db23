#include "concurrency/http/head_parser.h"

#include "absl/strings/str_cat.h"

namespace concurrency::http {
namespace {

constexpr absl::string_view kEndOfHead = "\r\n\r\n";

}  // namespace

std::optional<absl::StatusOr<HttpRequest>> HeadParser::Next(
    const HeadLimits& limits) {
  const size_t end = buffer_.find(kEndOfHead, searched_);
  if (end != std::string::npos) {
    absl::StatusOr<HttpRequest> r =
        ParseRequestHead(absl::string_view(buffer_).substr(0, end), limits);
    buffer_.erase(0, end + kEndOfHead.size());
    searched_ = 0;
    return r;
  }
  if (buffer_.size() >= limits.max_head_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("request head over ", limits.max_head_bytes, " bytes"));
  }
  // The terminator may straddle what is here and what comes next.
  searched_ = buffer_.size() < kEndOfHead.size() - 1
                  ? 0
                  : buffer_.size() - (kEndOfHead.size() - 1);
  return std::nullopt;
}

void HeadParser::Shrink() {
  if (buffer_.empty()) std::string().swap(buffer_);
}

}  // namespace concurrency::http
