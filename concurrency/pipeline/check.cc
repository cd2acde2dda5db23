#include "concurrency/pipeline/check.h"

#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "concurrency/io/file_util.h"
#include "concurrency/pipeline/targz/tar_gz.h"

namespace concurrency::pipeline {
namespace {

bool IsManifestName(absl::string_view name) {
  return name == "manifest.txt" ||
         (absl::StartsWith(name, "manifest-") && absl::EndsWith(name, ".txt"));
}

// Reads every manifest of `dir`, by shard index.
absl::StatusOr<std::map<int, Manifest>> ReadManifests(const std::string& dir,
                                                      CheckReport* report) {
  absl::StatusOr<std::vector<std::string>> names = io::ListDirectory(dir);
  if (!names.ok()) return names.status();
  std::map<int, Manifest> by_shard;
  for (const std::string& name : *names) {
    if (!IsManifestName(name)) continue;
    const std::string path = absl::StrCat(dir, "/", name);
    absl::StatusOr<std::string> text = io::ReadFileToString(path);
    absl::StatusOr<Manifest> m =
        text.ok() ? ParseManifest(*text, path) : text.status();
    if (!m.ok()) {
      report->problems.push_back(std::string(m.status().message()));
      continue;
    }
    RunSettings run = m->settings;
    run.shard = {0, run.shard.count};
    if (by_shard.empty()) report->settings = run;
    if (!(run == report->settings)) {
      report->problems.push_back(
          absl::StrCat(name,
                       " belongs to another run than the other "
                       "manifests (settings or shard count differ)"));
      continue;
    }
    by_shard.emplace(m->settings.shard.index, *std::move(m));
  }
  if (by_shard.empty() && report->problems.empty()) {
    return absl::NotFoundError(absl::StrCat(dir, " holds no manifest"));
  }
  return by_shard;
}

// Checks one archive's file against its record; adds its pages to `seen`.
void CheckArchive(const std::string& dir, int slot, const ArchiveRecord& want,
                  std::map<int, int>* seen, CheckReport* report) {
  const std::string name = ArchiveFileName(slot);
  const std::string path = absl::StrCat(dir, "/", name);
  absl::StatusOr<ArchiveRecord> got = MeasureFile(path);
  if (!got.ok() || got->size != want.size || got->crc32 != want.crc32) {
    report->problems.push_back(absl::StrCat(
        name, got.ok() ? " does not match its size and CRC-32"
                       : absl::StrCat(": ", got.status().message())));
    return;
  }
  absl::StatusOr<std::vector<TarMember>> members = ReadTarGz(path);
  std::set<std::string> expected, found;
  for (int p = want.pages.first; p <= want.pages.last; ++p) {
    expected.insert(XmlFileName(p));
  }
  if (members.ok()) {
    for (const TarMember& m : *members) found.insert(m.name);
  }
  if (!members.ok() || found != expected) {
    report->problems.push_back(
        absl::StrCat(name, " does not hold exactly pages ", want.pages.first,
                     "-", want.pages.last));
    return;
  }
  for (int p = want.pages.first; p <= want.pages.last; ++p) ++(*seen)[p];
}

void FindMissingPages(const std::map<int, int>& seen, int pages,
                      CheckReport* report) {
  for (int p = 1; p <= pages; ++p) {
    auto it = seen.find(p);
    const int n = it == seen.end() ? 0 : it->second;
    if (n > 1) report->duplicate_pages.push_back(p);
    if (n > 0) continue;
    if (!report->missing_pages.empty() &&
        report->missing_pages.back().last == p - 1) {
      report->missing_pages.back().last = p;
    } else {
      report->missing_pages.push_back({p, p});
    }
  }
}

}  // namespace

absl::StatusOr<CheckReport> CheckOutDir(const std::string& dir) {
  CheckReport report;
  absl::StatusOr<std::map<int, Manifest>> manifests =
      ReadManifests(dir, &report);
  if (!manifests.ok()) return manifests.status();
  const RunSettings& run = report.settings;
  std::map<int, int> seen;  // page -> archives holding it
  for (int i = 0; i < run.shard.count; ++i) {
    auto it = manifests->find(i);
    Layout layout(run.pages, run.batch, {i, run.shard.count});
    if (it == manifests->end() ||
        static_cast<int>(it->second.archives.size()) !=
            layout.shard_slots().size()) {
      report.missing_shards.push_back(i);
    }
    if (it == manifests->end()) continue;
    for (const auto& [slot, record] : it->second.archives) {
      ++report.archives;
      CheckArchive(dir, slot, record, &seen, &report);
    }
  }
  FindMissingPages(seen, run.pages, &report);
  return report;
}

std::string DescribeCheck(const CheckReport& r) {
  const int shards = r.settings.shard.count;
  if (r.ok()) {
    return absl::StrFormat(
        "every page of 1-%d is in exactly one archive (%d archives, %d "
        "shard%s)",
        r.settings.pages, r.archives, shards, shards == 1 ? "" : "s");
  }
  std::vector<std::string> lines;
  if (!r.missing_shards.empty()) {
    lines.push_back(absl::StrCat(
        "unfinished shards (of ", shards,
        "): ", absl::StrJoin(r.missing_shards, " "),
        "; rerun each with the same command and --shard=I/", shards));
  }
  if (!r.missing_pages.empty()) {
    lines.push_back(absl::StrCat(
        "pages in no archive: ",
        absl::StrJoin(r.missing_pages, " ", [](std::string* out, Range g) {
          absl::StrAppend(out, g.first,
                          g.last > g.first ? absl::StrCat("-", g.last) : "");
        })));
  }
  if (!r.duplicate_pages.empty()) {
    lines.push_back(absl::StrCat("pages in more than one archive: ",
                                 absl::StrJoin(r.duplicate_pages, " ")));
  }
  for (const std::string& p : r.problems) lines.push_back(p);
  return absl::StrJoin(lines, "\n");
}

}  // namespace concurrency::pipeline
