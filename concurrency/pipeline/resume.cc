#include "concurrency/pipeline/resume.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "concurrency/io/atomic_file.h"
#include "concurrency/io/file_util.h"
#include "concurrency/io/posix_error.h"
#include "concurrency/io/read_write.h"

namespace concurrency::pipeline {
namespace {

// How a complete XML page ends (csv_to_xml.h); an XML file left by a power
// loss with fsync_xml off may not.
constexpr absl::string_view kXmlEnd = "</Data>\n";

std::string Path(const std::string& dir, absl::string_view name) {
  return absl::StrCat(dir, "/", name);
}

absl::StatusOr<io::ScopedFd> Lock(const std::string& dir,
                                  const Layout& layout) {
  std::string base = layout.ManifestName();
  base.resize(base.size() - 4);  // without ".txt"
  const std::string path = Path(dir, absl::StrCat(".", base, ".lock"));
  io::ScopedFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid()) return io::PosixError(absl::StrCat("open ", path), errno);
  if (flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "another pipeline run is using ", dir, " (it holds ", path, ")"));
    }
    return io::PosixError(absl::StrCat("lock ", path), errno);
  }
  return fd;
}

// Whether `name` (a final name) is one of this shard's outputs.
bool OursByName(absl::string_view name, const Layout& layout) {
  if (name == layout.ManifestName()) return true;
  if (std::optional<int> p = XmlPageOf(name)) {
    return layout.shard_pages().contains(*p);
  }
  if (std::optional<int> k = ArchiveSlotOf(name)) {
    return layout.shard_slots().contains(*k);
  }
  return false;
}

absl::Status VerifyArchives(const std::string& dir, const Manifest& m,
                            const Layout& layout, const std::string& source) {
  for (const auto& [slot, want] : m.archives) {
    const std::string name = ArchiveFileName(slot);
    if (!layout.shard_slots().contains(slot) ||
        !(want.pages == layout.SlotPages(slot))) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ": ", name, " is recorded with pages ", want.pages.first, "-",
          want.pages.last, ", which are not its slot in this layout"));
    }
    absl::StatusOr<ArchiveRecord> got = MeasureFile(Path(dir, name));
    if (!got.ok()) {
      return absl::Status(
          got.status().code(),
          absl::StrCat(source, " names ", name,
                       ", which cannot be read: ", got.status().message()));
    }
    if (got->size != want.size || got->crc32 != want.crc32) {
      return absl::DataLossError(absl::StrFormat(
          "%s names %s with %d bytes and CRC-32 %08x, but it has %d bytes "
          "and CRC-32 %08x: it was changed or damaged",
          source, name, want.size, want.crc32, got->size, got->crc32));
    }
  }
  return absl::OkStatus();
}

// Reads and checks the manifest, or makes a new one for an untouched
// directory. `*fresh` says which.
absl::StatusOr<Manifest> LoadManifest(const std::string& dir,
                                      const std::vector<std::string>& names,
                                      const Layout& layout,
                                      const RunSettings& settings,
                                      bool* fresh) {
  const std::string source = Path(dir, layout.ManifestName());
  *fresh = std::find(names.begin(), names.end(), layout.ManifestName()) ==
           names.end();
  if (*fresh) {
    for (const std::string& name : names) {
      if (OursByName(name, layout)) {
        return absl::FailedPreconditionError(absl::StrCat(
            dir, " holds ", name, " but no ", layout.ManifestName(),
            ": it is not the output of a run this one can resume; move it "
            "away or choose another output directory"));
      }
    }
    return Manifest{settings, {}};
  }
  absl::StatusOr<std::string> text = io::ReadFileToString(source);
  if (!text.ok()) return text.status();
  absl::StatusOr<Manifest> m = ParseManifest(*text, source);
  if (!m.ok()) return m.status();
  if (absl::Status s = CheckSameRun(m->settings, settings, source); !s.ok()) {
    return s;
  }
  if (absl::Status s = VerifyArchives(dir, *m, layout, source); !s.ok()) {
    return s;
  }
  return m;
}

// Whether the file ends as a converted page does (only its tail is read).
bool CompleteXml(const std::string& path) {
  io::ScopedFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st;
  if (!fd.valid() || fstat(fd.get(), &st) != 0 ||
      st.st_size < static_cast<off_t>(kXmlEnd.size())) {
    return false;
  }
  std::string tail(kXmlEnd.size(), '\0');
  ssize_t n = pread(fd.get(), tail.data(), tail.size(),
                    st.st_size - static_cast<off_t>(tail.size()));
  return n == static_cast<ssize_t>(tail.size()) && tail == kXmlEnd;
}

// Removes what a killed run left half done; returns the complete XML pages
// of unarchived slots.
absl::StatusOr<std::set<int>> Tidy(const std::string& dir,
                                   const std::vector<std::string>& names,
                                   const Layout& layout, const Manifest& m) {
  std::set<int> xml_pages;
  for (const std::string& name : names) {
    bool remove = false;
    if (std::optional<std::string> target = TempFileTarget(name)) {
      remove = OursByName(*target, layout);
    } else if (std::optional<int> k = ArchiveSlotOf(name)) {
      remove = layout.shard_slots().contains(*k) && !m.archives.contains(*k);
    } else if (std::optional<int> p = XmlPageOf(name);
               p.has_value() && layout.shard_pages().contains(*p)) {
      remove = m.archives.contains(layout.SlotOf(*p)) ||
               !CompleteXml(Path(dir, name));
      if (!remove) xml_pages.insert(*p);
    }
    if (!remove) continue;
    if (absl::Status s = io::RemoveFile(Path(dir, name)); !s.ok()) return s;
  }
  return xml_pages;
}

}  // namespace

absl::Status WriteManifest(const std::string& dir, const std::string& name,
                           const Manifest& manifest) {
  return io::WriteFileAtomically(Path(dir, name), SerializeManifest(manifest),
                                 io::AtomicFile::Mode::kReplace);
}

absl::Status AppendToManifest(const std::string& dir, const std::string& name,
                              absl::string_view lines) {
  const std::string path = Path(dir, name);
  io::ScopedFd fd(open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  if (!fd.valid()) return io::PosixError(absl::StrCat("open ", path), errno);
  if (absl::Status s = io::WriteAll(fd.get(), lines, path); !s.ok()) return s;
  if (fsync(fd.get()) != 0) {
    return io::PosixError(absl::StrCat("fsync ", path), errno);
  }
  return fd.Close(path);
}

absl::StatusOr<OutDirState> OpenOutDir(const std::string& dir,
                                       const Layout& layout,
                                       const RunSettings& settings) {
  OutDirState state;
  absl::StatusOr<io::ScopedFd> lock = Lock(dir, layout);
  if (!lock.ok()) return lock.status();
  state.lock = std::move(*lock);
  absl::StatusOr<std::vector<std::string>> names = io::ListDirectory(dir);
  if (!names.ok()) return names.status();
  bool fresh = false;
  absl::StatusOr<Manifest> m =
      LoadManifest(dir, *names, layout, settings, &fresh);
  if (!m.ok()) return m.status();
  state.manifest = *std::move(m);
  absl::StatusOr<std::set<int>> xml = Tidy(dir, *names, layout, state.manifest);
  if (!xml.ok()) return xml.status();
  state.xml_pages = *std::move(xml);
  // A new directory gets its settings; a journal whose last line a crash
  // cut is compacted, so that appends go on from a whole line.
  if (fresh || state.manifest.torn_tail) {
    absl::Status s = WriteManifest(dir, layout.ManifestName(), state.manifest);
    if (!s.ok()) return s;
    state.manifest.torn_tail = false;
  }
  return state;
}

}  // namespace concurrency::pipeline
