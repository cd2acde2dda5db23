#include "camera/page.h"

#include "absl/strings/str_replace.h"

namespace camera {

std::string StreamerPage(absl::string_view source_name) {
  const std::string escaped = absl::StrReplaceAll(
      source_name,
      {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
  return absl::StrReplaceAll(kPageHtml, {{"{{source}}", escaped}});
}

}  // namespace camera
