// The streamer's page (GET /): the stream and, under it, the figures a
// person looks for, refreshed once a second from /stats (which stays JSON
// for programs). Its HTML and JavaScript live in camera/page.html, compiled
// in by a genrule, so they can be read and edited as what they are.
//
// Thread-safe: no state.
#ifndef CAMERA_PAGE_H_
#define CAMERA_PAGE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace camera {

// page.html, as compiled in.
extern const char kPageHtml[];

// The page for a streamer of `source_name` (HTML-escaped into it).
std::string StreamerPage(absl::string_view source_name);

}  // namespace camera

#endif  // CAMERA_PAGE_H_
