#include "concurrency/pipeline/targz/tar_gz.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "concurrency/io/atomic_file.h"
#include "concurrency/io/file_util.h"
#include "concurrency/io/scoped_fd.h"
#include "concurrency/process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/testing/status_matchers.h"
#include "tools/testing/temp_dir.h"

namespace concurrency::pipeline {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using ::testing_util::IsOk;
using ::testing_util::ListDir;
using ::testing_util::NewTempDir;
using ::testing_util::StatusIs;

const std::string kLongName =
    absl::StrCat(std::string(60, 'd'), "/", std::string(90, 'f'), ".xml");

std::string BinaryData() {
  std::string s;
  for (int i = 0; i < 5000; ++i) s.push_back(static_cast<char>(i * 7));
  return s;
}

absl::Status WriteSample(const std::string& path) {
  absl::StatusOr<std::unique_ptr<TarGzWriter>> w = TarGzWriter::Create(path);
  if (!w.ok()) return w.status();
  absl::Time t = absl::FromUnixSeconds(1600000000);
  if (auto s = (*w)->AddMember("data1.xml", "<Data>\n</Data>\n", t); !s.ok())
    return s;
  if (auto s = (*w)->AddMember("empty.xml", "", t); !s.ok()) return s;
  if (auto s = (*w)->AddMember(kLongName, BinaryData(), t, 0600); !s.ok())
    return s;
  return (*w)->Commit();
}

// Each archive is compressed at its own level, also when one thread writes
// archives at different levels one after another (each thread keeps a
// compressor): the same level gives the same bytes, a higher one fewer.
TEST(TarGzTest, EachArchiveHasItsLevelOnTheSameThread) {
  std::string dir = NewTempDir("tar");
  std::string text;
  for (int i = 0; i < 20000; ++i) {
    absl::StrAppend(&text, "<Row><n>", i % 977, "</n><v>", (i * 31) % 1013,
                    "</v></Row>\n");
  }
  std::vector<std::string> archives;
  for (int level : {1, 12, 1}) {
    const std::string path = absl::StrCat(dir, "/", archives.size(), ".tgz");
    auto w = TarGzWriter::Create(path, {.level = level, .threads = 1});
    ASSERT_THAT(w.status(), IsOk());
    ASSERT_THAT((*w)->AddMember("rows.xml", text, absl::UnixEpoch()), IsOk());
    ASSERT_THAT((*w)->Commit(), IsOk());
    archives.push_back(*io::ReadFileToString(path));
  }
  EXPECT_LT(archives[1].size(), archives[0].size());
  EXPECT_EQ(archives[2], archives[0]);
}

TEST(TarGzTest, RoundTripsThroughOurReader) {
  std::string dir = NewTempDir("tar");
  std::string path = dir + "/a.tgz";
  ASSERT_THAT(WriteSample(path), IsOk());
  absl::StatusOr<std::vector<TarMember>> m = ReadTarGz(path);
  ASSERT_THAT(m.status(), IsOk());
  ASSERT_EQ(m->size(), 3u);
  EXPECT_EQ((*m)[0].name, "data1.xml");
  EXPECT_EQ((*m)[0].data, "<Data>\n</Data>\n");
  EXPECT_EQ((*m)[0].mtime, 1600000000);
  EXPECT_EQ((*m)[0].mode, 0644u);
  EXPECT_EQ((*m)[1].data, "");
  EXPECT_EQ((*m)[2].name, kLongName);
  EXPECT_EQ((*m)[2].data, BinaryData());
  EXPECT_EQ((*m)[2].mode, 0600u);
  EXPECT_THAT(ListDir(dir), UnorderedElementsAre("a.tgz"));
}

// Repeats further apart than 16 KiB, which only a 32 KiB window reaches
// back to, read back whole, across the reader's inflate calls.
TEST(TarGzTest, MatchesFromFarBackReadBack) {
  std::string dir = NewTempDir("tar");
  std::string path = dir + "/far.tgz";
  std::string chunk(24 << 10, '\0');
  uint32_t x = 12345;
  for (char& c : chunk) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  std::string data;
  for (int i = 0; i < 40; ++i) data += chunk;  // 960 KiB: one gzip member
  auto w = TarGzWriter::Create(path, {.threads = 1});
  ASSERT_THAT(w.status(), IsOk());
  ASSERT_THAT((*w)->AddMember("far.bin", data, absl::UnixEpoch()), IsOk());
  ASSERT_THAT((*w)->Commit(), IsOk());
  EXPECT_LT(io::ReadFileToString(path)->size(), 2 * chunk.size());  // matched
  absl::StatusOr<std::vector<TarMember>> m = ReadTarGz(path);
  ASSERT_THAT(m.status(), IsOk());
  ASSERT_EQ(m->size(), 1u);
  EXPECT_EQ((*m)[0].data, data);
}

TEST(TarGzTest, SameMembersGiveSameBytes) {
  std::string dir = NewTempDir("tar");
  ASSERT_THAT(WriteSample(dir + "/1.tgz"), IsOk());
  ASSERT_THAT(WriteSample(dir + "/2.tgz"), IsOk());
  EXPECT_EQ(*io::ReadFileToString(dir + "/1.tgz"),
            *io::ReadFileToString(dir + "/2.tgz"));
}

// GNU tar, bsdtar and Python's tarfile each extract the archive; every member
// must come back byte-identical. tools/bazel installs all three.
TEST(TarGzTest, OtherToolsReadItBackByteIdentical) {
  std::string dir = NewTempDir("tar");
  std::string path = dir + "/a.tgz";
  ASSERT_THAT(WriteSample(path), IsOk());
  const std::vector<std::string> commands = {
      "tar -xzf " + path + " -C ",
      "bsdtar -xzf " + path + " -C ",
      "python3 -c 'import sys,tarfile; "
      "tarfile.open(sys.argv[1]).extractall(sys.argv[2])' " +
          path + " ",
  };
  for (const std::string& command : commands) {
    std::string out = NewTempDir("tar");
    ASSERT_EQ(system((command + out + " 2>&1").c_str()), 0) << command;
    EXPECT_EQ(*io::ReadFileToString(out + "/data1.xml"), "<Data>\n</Data>\n")
        << command;
    EXPECT_EQ(*io::ReadFileToString(out + "/empty.xml"), "") << command;
    absl::StatusOr<std::string> big =
        io::ReadFileToString(out + "/" + kLongName);
    ASSERT_THAT(big.status(), IsOk()) << command;
    EXPECT_EQ(*big, BinaryData()) << command;
  }
  // GNU tar's own listing agrees on names (the long one came through pax).
  std::string listing;
  FILE* p = popen(("tar -tzf " + path).c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[512];
  while (fgets(buf, sizeof buf, p)) listing += buf;
  EXPECT_EQ(pclose(p), 0);
  EXPECT_EQ(listing, absl::StrCat("data1.xml\nempty.xml\n", kLongName, "\n"));
}

// The uncompressed tar stream of the archive at `path`.
std::string Gunzipped(const std::string& path) {
  gzFile in = gzopen(path.c_str(), "rb");
  std::string tar(1 << 20, '\0');
  int n = gzread(in, tar.data(), static_cast<unsigned>(tar.size()));
  gzclose(in);
  EXPECT_GT(n, 0) << path;
  tar.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return tar;
}

// Writes `tar` gzip-compressed (a whole, valid gzip stream) to `path`.
void WriteGzipped(const std::string& path, const std::string& tar) {
  gzFile out = gzopen(path.c_str(), "wb");
  gzwrite(out, tar.data(), static_cast<unsigned>(tar.size()));
  gzclose(out);
}

TEST(TarGzTest, HeaderChecksumIsValidAndChecked) {
  std::string dir = NewTempDir("tar");
  std::string path = dir + "/a.tgz";
  ASSERT_THAT(WriteSample(path), IsOk());
  // Decompress, flip one byte of the first header's name, recompress.
  std::string tar = Gunzipped(path);
  ASSERT_EQ(tar.size() % 10240, 0u);
  // Every header as written carries a valid checksum, computed here
  // independently (POSIX: the byte sum with the checksum field as spaces,
  // stored as six octal digits, NUL, space).
  int headers = 0;
  for (size_t off = 0; off + 512 <= tar.size();) {
    const char* h = tar.data() + off;
    if (std::all_of(h, h + 512, [](char c) { return c == '\0'; })) break;
    unsigned sum = 0;
    for (int i = 0; i < 512; ++i) {
      sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
    }
    EXPECT_EQ(std::string(h + 148, 8),
              absl::StrFormat("%06o", sum) + std::string("\0 ", 2))
        << "header at " << off;
    // Numeric fields as POSIX ustar (and GNU tar, and Python) write them:
    // all the field's width in octal digits but one, then a NUL.
    if (headers == 0) {  // data1.xml, mode 0644
      EXPECT_EQ(std::string(h + 100, 8), std::string("0000644\0", 8));
    }
    EXPECT_EQ(std::string(h + 108, 8), std::string("0000000\0", 8))
        << "uid of the header at " << off;
    EXPECT_EQ(std::string(h + 116, 8), std::string("0000000\0", 8))
        << "gid of the header at " << off;
    EXPECT_EQ(h[100 + 7], '\0') << "mode of the header at " << off;
    EXPECT_EQ(h[124 + 11], '\0') << "size of the header at " << off;
    EXPECT_EQ(h[136 + 11], '\0') << "mtime of the header at " << off;
    size_t size = std::strtoul(std::string(h + 124, 12).c_str(), nullptr, 8);
    off += 512 + (size + 511) / 512 * 512;
    ++headers;
  }
  EXPECT_EQ(headers, 4);  // data1.xml, empty.xml, a pax header, the long name
  tar[0] = 'D';
  std::string bad = dir + "/bad.tgz";
  WriteGzipped(bad, tar);
  EXPECT_THAT(ReadTarGz(bad).status(),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("bad tar header checksum at offset 0")));
}

// Writes the checksum of the header at `off` (POSIX: the byte sum with the
// checksum field as spaces, six octal digits, NUL, space).
void SetChecksum(std::string& tar, size_t off) {
  std::memset(tar.data() + off + 148, ' ', 8);
  unsigned sum = 0;
  for (size_t i = 0; i < 512; ++i) {
    sum += static_cast<unsigned char>(tar[off + i]);
  }
  const std::string chk = absl::StrFormat("%06o", sum) + std::string("\0 ", 2);
  std::memcpy(tar.data() + off + 148, chk.data(), 8);
}

// Numeric fields may fill their whole width with digits, no NUL (older
// tars write the mode so): each is read within its own width.
TEST(TarGzTest, ANumericFieldFullOfDigitsIsReadWithinItsWidth) {
  std::string dir = NewTempDir("tar");
  std::string path = dir + "/a.tgz";
  ASSERT_THAT(WriteSample(path), IsOk());
  std::string tar = Gunzipped(path);
  std::memcpy(tar.data() + 100, "00000644", 8);  // mode: 8 digits, no NUL
  std::memcpy(tar.data() + 108, "7777777", 7);   // uid right after it
  SetChecksum(tar, 0);
  std::string full = dir + "/full.tgz";
  WriteGzipped(full, tar);
  absl::StatusOr<std::vector<TarMember>> m = ReadTarGz(full);
  ASSERT_THAT(m.status(), IsOk());
  EXPECT_EQ((*m)[0].mode, 0644u);
}

// A numeric field that holds no octal number is damage, named with its
// offset: one that does not start with an octal digit (after spaces), or
// one of blanks only (GNU tar refuses it too), whatever the field after it.
TEST(TarGzTest, ANumericFieldThatIsNotOctalIsDataLoss) {
  struct Damage {
    size_t offset;
    std::string bytes;
  };
  const Damage kDamages[] = {
      {124, "x0000000000"},         // size: no digit first
      {100, std::string(16, ' ')},  // mode and uid after it: blanks
  };
  std::string dir = NewTempDir("tar");
  std::string path = dir + "/a.tgz";
  ASSERT_THAT(WriteSample(path), IsOk());
  for (const Damage& d : kDamages) {
    std::string tar = Gunzipped(path);
    std::memcpy(tar.data() + d.offset, d.bytes.data(), d.bytes.size());
    SetChecksum(tar, 0);
    std::string bad = dir + "/bad.tgz";
    WriteGzipped(bad, tar);
    EXPECT_THAT(ReadTarGz(bad).status(),
                StatusIs(absl::StatusCode::kDataLoss,
                         HasSubstr("bad number in tar header at offset 0")))
        << d.offset;
  }
}

// A file whose size is not what stat said (here a /proc file, which stats
// as empty and reads as text) fails the archive: it is not committed.
TEST(TarGzTest, AFileThatChangesSizeWhileReadFailsTheArchive) {
  std::string dir = NewTempDir("tar");
  std::string path = dir + "/a.tgz";
  auto w = TarGzWriter::Create(path, {.threads = 1});
  ASSERT_THAT(w.status(), IsOk());
  ASSERT_THAT((*w)->AddMember("first", "kept?", absl::UnixEpoch()), IsOk());
  EXPECT_THAT((*w)->AddFile("/proc/self/status", "status"),
              StatusIs(absl::StatusCode::kAborted,
                       HasSubstr("/proc/self/status changed size while being "
                                 "archived")));
  EXPECT_FALSE((*w)->Commit().ok());
  EXPECT_FALSE((*w)->written());
  EXPECT_THAT(ListDir(dir), IsEmpty());
}

// The prefix field is part of the name only in a POSIX ustar header: a
// header with another magic (v7, GNU's, or anything else) may hold other
// bytes there.
TEST(TarGzTest, OnlyAUstarHeadersPrefixIsPartOfTheName) {
  std::string dir = NewTempDir("tar");
  std::string path = dir + "/a.tgz";
  ASSERT_THAT(WriteSample(path), IsOk());
  std::string tar = Gunzipped(path);
  std::memcpy(tar.data() + 345, "some/dir", 8);  // the prefix field
  for (const auto& [magic, name] :
       {std::pair<std::string, std::string>{std::string("ustar\0", 6),
                                            "some/dir/data1.xml"},
        {"ustaX", "data1.xml"},
        // GNU tar's format keeps atime and ctime there, not a prefix.
        {std::string("ustar  \0", 8), "data1.xml"},
        {std::string(6, '\0'), "data1.xml"}}) {
    std::memcpy(tar.data() + 257, magic.data(), magic.size());
    SetChecksum(tar, 0);
    std::string out = dir + "/prefix.tgz";
    unlink(out.c_str());
    WriteGzipped(out, tar);
    absl::StatusOr<std::vector<TarMember>> m = ReadTarGz(out);
    ASSERT_THAT(m.status(), IsOk());
    EXPECT_EQ((*m)[0].name, name) << magic;
  }
}

TEST(TarGzTest, TruncatedArchiveIsDataLoss) {
  std::string dir = NewTempDir("tar");
  std::string path = dir + "/a.tgz";
  ASSERT_THAT(WriteSample(path), IsOk());
  std::string bytes = *io::ReadFileToString(path);
  std::string cut = dir + "/cut.tgz";
  ASSERT_THAT(io::WriteFileAtomically(cut, bytes.substr(0, bytes.size() - 20)),
              IsOk());
  EXPECT_THAT(ReadTarGz(cut).status(),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr("cut.tgz"),
                             HasSubstr("gzip stream truncated"))));
  // Damaged rather than cut: the gzip CRC-32 of the member fails.
  std::string damaged = bytes;
  damaged[damaged.size() - 6] ^= 0x55;
  std::string bad = dir + "/bad.tgz";
  ASSERT_THAT(io::WriteFileAtomically(bad, damaged), IsOk());
  EXPECT_THAT(
      ReadTarGz(bad).status(),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("gzip stream corrupt")));
}

TEST(TarGzTest, AMemberCutShortInsideAWholeGzipStreamIsDataLoss) {
  std::string dir = NewTempDir("tar");
  std::string path = dir + "/a.tgz";
  ASSERT_THAT(WriteSample(path), IsOk());
  // The first member's header and 10 of its 15 data bytes; the gzip stream
  // around them is whole, so only the tar reader can tell.
  std::string tar = Gunzipped(path);
  ASSERT_GT(tar.size(), 522u);
  tar.resize(512 + 10);
  std::string cut = dir + "/cut.tgz";
  WriteGzipped(cut, tar);
  EXPECT_THAT(ReadTarGz(cut).status(),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("member at offset 0 is truncated")));
}

TEST(TarGzTest, ArchiveWithNoMembersIsNotLeftBehind) {
  std::string dir = NewTempDir("tar");
  absl::StatusOr<std::unique_ptr<TarGzWriter>> w =
      TarGzWriter::Create(dir + "/none.tgz");
  ASSERT_THAT(w.status(), IsOk());
  ASSERT_THAT((*w)->Commit(), IsOk());
  EXPECT_FALSE((*w)->written());
  EXPECT_THAT(ListDir(dir), IsEmpty());
}

TEST(TarGzTest, DoesNotOverwriteAnExistingArchive) {
  std::string dir = NewTempDir("tar");
  ASSERT_THAT(WriteSample(dir + "/a.tgz"), IsOk());
  std::string before = *io::ReadFileToString(dir + "/a.tgz");
  absl::StatusOr<std::unique_ptr<TarGzWriter>> w =
      TarGzWriter::Create(dir + "/a.tgz");
  ASSERT_THAT(w.status(), IsOk());
  ASSERT_THAT((*w)->AddMember("x", "y", absl::Now()), IsOk());
  EXPECT_THAT((*w)->Commit(), StatusIs(absl::StatusCode::kAlreadyExists,
                                       HasSubstr("a.tgz already exists")));
  EXPECT_EQ(*io::ReadFileToString(dir + "/a.tgz"), before);
  EXPECT_THAT(ListDir(dir), UnorderedElementsAre("a.tgz"));
}

// A full disk, simulated with RLIMIT_FSIZE in a child process, at several
// points of the write: the archive fails with an error and nothing is left
// under any name.
TEST(TarGzTest, FailingWritesLeaveNothingBehind) {
  for (rlim_t limit : {rlim_t{0}, rlim_t{100}, rlim_t{4000}}) {
    std::string dir = NewTempDir("tar");
    std::string path = dir + "/a.tgz";
    auto child = RunInProcess([&]() -> int {
      signal(SIGXFSZ, SIG_IGN);
      rlimit rl{limit, limit};
      setrlimit(RLIMIT_FSIZE, &rl);
      absl::StatusOr<std::unique_ptr<TarGzWriter>> w =
          TarGzWriter::Create(path);
      if (!w.ok()) return 100;
      std::string big(1 << 20, 'x');
      for (int i = 0; i < 8; ++i) {
        // Random-ish data so that it does not compress below the limit.
        for (size_t k = 0; k < big.size(); ++k)
          big[k] = static_cast<char>(
              (k * 2654435761u + static_cast<unsigned>(i)) >> 13);
        if (!(*w)->AddMember(absl::StrCat("m", i), big, absl::Now()).ok())
          return 1;
      }
      absl::Status s = (*w)->Commit();
      return s.ok() ? 0 : static_cast<int>(s.code());
    });
    ASSERT_THAT(child.status(), IsOk());
    absl::StatusOr<int> code = child->Get();
    ASSERT_THAT(code.status(), IsOk());
    EXPECT_NE(*code, 0) << "limit " << limit;
    EXPECT_THAT(ListDir(dir), IsEmpty()) << "limit " << limit;
  }
}

// Writes `data` to a new file `dir/name` and returns its path.
std::string WriteFile(const std::string& dir, const std::string& name,
                      const std::string& data) {
  const std::string path = dir + "/" + name;
  EXPECT_THAT(
      io::WriteFileAtomically(path, data, io::AtomicFile::Mode::kReplace),
      IsOk());
  return path;
}

std::string Noise(size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (size_t k = 0; k < n; ++k) {
    s[k] = static_cast<char>(((k % 251) * 2654435761u + seed) >> 11);
  }
  return s;
}

// Members around the block size: empty, one byte, smaller, an exact
// multiple of it, one byte past it, and larger, at levels 1, 6 and 12, with
// small blocks (many gzip members) and the default 1 MiB, on 1 and 2 threads.
// Every reader we know of reads each archive back byte-identical; the gzip
// streams test clean.
TEST(TarGzTest, BlocksOfEveryLevelReadBackEverywhere) {
  const size_t kSmallBlock = 4096;
  std::string src = NewTempDir("tar");
  const std::vector<std::pair<std::string, std::string>> files = {
      {"empty.xml", ""},
      {"one.bin", "x"},
      {"small.xml", "<Data>\n</Data>\n"},
      {"exact.bin", Noise(3 * kSmallBlock, 1)},
      {"exact_plus_one.bin", Noise(kSmallBlock + 1, 3)},
      {"big.bin", Noise(5 * kSmallBlock + 77, 2) + std::string(3 << 20, 'z')},
  };
  for (const auto& [name, data] : files) WriteFile(src, name, data);
  for (int level : {1, 6, 12}) {
    for (size_t block : {kSmallBlock, size_t{1} << 20}) {
      for (int threads : {1, 2}) {
        SCOPED_TRACE(absl::StrFormat("level %d block %d threads %d", level,
                                     block, threads));
        std::string dir = NewTempDir("tar");
        std::string path = dir + "/a.tgz";
        auto w = TarGzWriter::Create(
            path, {.level = level, .threads = threads, .block_bytes = block});
        ASSERT_THAT(w.status(), IsOk());
        for (const auto& [name, data] : files) {
          ASSERT_THAT((*w)->AddFile(src + "/" + name, name), IsOk());
        }
        ASSERT_THAT((*w)->Commit(), IsOk());
        absl::StatusOr<std::vector<TarMember>> m = ReadTarGz(path);
        ASSERT_THAT(m.status(), IsOk());
        ASSERT_EQ(m->size(), files.size());
        for (size_t i = 0; i < files.size(); ++i) {
          EXPECT_EQ((*m)[i].name, files[i].first);
          EXPECT_EQ((*m)[i].data, files[i].second);
        }
        for (const std::string& command :
             {"gzip -t " + path, "pigz -t " + path}) {
          EXPECT_EQ(system((command + " 2>&1").c_str()), 0) << command;
        }
        for (const std::string& extract :
             {"tar -xzf " + path + " -C ", "bsdtar -xzf " + path + " -C ",
              "python3 -c 'import sys,tarfile; "
              "tarfile.open(sys.argv[1]).extractall(sys.argv[2])' " +
                  path + " "}) {
          std::string out = NewTempDir("tar");
          ASSERT_EQ(system((extract + out + " 2>&1").c_str()), 0) << extract;
          for (const auto& [name, data] : files) {
            EXPECT_EQ(*io::ReadFileToString(out + "/" + name), data)
                << extract << " " << name;
          }
        }
      }
    }
  }
}

// The size and CRC-32 the writer reports are the file's, read back, whether
// the archive fits one block or spans many, compressed here or on a pool.
TEST(TarGzTest, ReportsTheSizeAndCrcOfTheFileItWrote) {
  std::string src = NewTempDir("tar");
  WriteFile(src, "big.bin", Noise(300 << 10, 3));
  std::string dir = NewTempDir("tar");
  int n = 0;
  for (size_t block : {size_t{4096}, size_t{1} << 20}) {
    for (int threads : {1, 2}) {
      SCOPED_TRACE(absl::StrFormat("block %d threads %d", block, threads));
      const std::string path = absl::StrCat(dir, "/", n++, ".tgz");
      auto w =
          TarGzWriter::Create(path, {.threads = threads, .block_bytes = block});
      ASSERT_THAT(w.status(), IsOk());
      ASSERT_THAT((*w)->AddMember("small.xml", "<Data>\n</Data>\n",
                                  absl::FromUnixSeconds(1600000000)),
                  IsOk());
      ASSERT_THAT((*w)->AddFile(src + "/big.bin", "big.bin"), IsOk());
      ASSERT_THAT((*w)->Commit(), IsOk());
      absl::StatusOr<std::string> bytes = io::ReadFileToString(path);
      ASSERT_THAT(bytes.status(), IsOk());
      EXPECT_EQ((*w)->file_size(), bytes->size());
      EXPECT_EQ((*w)->file_crc32(),
                crc32(crc32(0L, Z_NULL, 0),
                      reinterpret_cast<const Bytef*>(bytes->data()),
                      static_cast<uInt>(bytes->size())));
    }
  }
}

TEST(TarGzTest, ThreadCountDoesNotChangeTheBytes) {
  std::string src = NewTempDir("tar");
  WriteFile(src, "a.bin", Noise(3 << 20, 5));
  std::string dir = NewTempDir("tar");
  for (int threads : {1, 2, 3}) {
    auto w = TarGzWriter::Create(absl::StrCat(dir, "/", threads, ".tgz"),
                                 {.threads = threads});
    ASSERT_THAT(w.status(), IsOk());
    ASSERT_THAT((*w)->AddFile(src + "/a.bin", "a.bin"), IsOk());
    // Members given in memory, small and large (over 16 KiB a member's data
    // gets gzip members of its own: on this thread, or on the pool).
    for (size_t size : {size_t{100}, size_t{16 << 10}, size_t{(16 << 10) + 1},
                        size_t{(1 << 20) + 5}}) {
      ASSERT_THAT((*w)->AddMember(absl::StrCat("m", size), Noise(size, 7),
                                  absl::FromUnixSeconds(1700000000)),
                  IsOk());
    }
    ASSERT_THAT((*w)->Commit(), IsOk());
    absl::StatusOr<std::vector<TarMember>> m =
        ReadTarGz(absl::StrCat(dir, "/", threads, ".tgz"));
    ASSERT_THAT(m.status(), IsOk());
    ASSERT_EQ(m->size(), 5u);
    EXPECT_EQ((*m)[4].name, absl::StrCat("m", (1 << 20) + 5));
    EXPECT_EQ((*m)[4].data, Noise((1 << 20) + 5, 7));
  }
  EXPECT_EQ(*io::ReadFileToString(dir + "/1.tgz"),
            *io::ReadFileToString(dir + "/2.tgz"));
  EXPECT_EQ(*io::ReadFileToString(dir + "/1.tgz"),
            *io::ReadFileToString(dir + "/3.tgz"));
}

TEST(TarGzTest, LevelsOutsideLibdeflatesRangeAreRefused) {
  std::string dir = NewTempDir("tar");
  for (int level : {-1, 13}) {
    EXPECT_THAT(TarGzWriter::Create(dir + "/a.tgz", {.level = level}).status(),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("not in [0, 12]")));
  }
  EXPECT_THAT(ListDir(dir), IsEmpty());
}

// A 2 GB sparse file goes in with the memory of a few blocks: the writer
// reads it block by block (measured in a child, whose peak RSS is its own).
TEST(TarGzTest, AHugeFileGoesInWithBoundedMemory) {
  std::string dir = NewTempDir("tar");
  const std::string big = dir + "/sparse.bin";
  const off_t kSize = off_t{2} << 30;
  {
    io::ScopedFd fd(open(big.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    ASSERT_TRUE(fd.valid());
    ASSERT_EQ(ftruncate(fd.get(), kSize), 0);
  }
  const std::string path = dir + "/a.tgz";
  auto child = RunInProcess([&]() -> int64_t {
    rusage before;
    getrusage(RUSAGE_SELF, &before);
    auto w = TarGzWriter::Create(path, {.level = 1, .threads = 2});
    if (!w.ok() || !(*w)->AddFile(big, "sparse.bin").ok() ||
        !(*w)->Commit().ok()) {
      return -1;
    }
    rusage after;
    getrusage(RUSAGE_SELF, &after);
    return after.ru_maxrss - before.ru_maxrss;  // KiB
  });
  ASSERT_THAT(child.status(), IsOk());
  absl::StatusOr<int64_t> grew_kib = child->Get();
  ASSERT_THAT(grew_kib.status(), IsOk());
  ASSERT_GE(*grew_kib, 0) << "archiving failed";
  // A copy of the file would be 2 GiB; a few 1 MiB blocks (and a sanitizer's
  // quarantine) stay far below.
  EXPECT_LT(*grew_kib, 400 << 10);
  // The member's header, from the start of the first gzip member (not the
  // whole 2 GB): its name and size.
  gzFile in = gzopen(path.c_str(), "rb");
  ASSERT_NE(in, nullptr);
  char header[512];
  ASSERT_EQ(gzread(in, header, sizeof header), 512);
  gzclose(in);
  EXPECT_STREQ(header, "sparse.bin");
  EXPECT_EQ(std::string(header + 124, 11), "20000000000");  // 2^31, octal
}

// Killed between blocks, with some of them already in the file: nothing is
// left under the archive's name.
TEST(TarGzTest, AKilledWriterLeavesNoArchive) {
  std::string dir = NewTempDir("tar");
  const std::string path = dir + "/a.tgz";
  auto child = RunInProcess([&]() -> int {
    auto w = TarGzWriter::Create(path, {.threads = 2, .block_bytes = 4096});
    if (!w.ok()) return 1;
    for (int i = 0; i < 64; ++i) {
      if (!(*w)->AddMember(absl::StrCat("m", i), Noise(10000, i), absl::Now())
               .ok()) {
        return 2;
      }
    }
    raise(SIGKILL);
    return 3;
  });
  ASSERT_THAT(child.status(), IsOk());
  EXPECT_FALSE(child->Get().ok());  // it died
  EXPECT_FALSE(io::ReadFileToString(path).ok());
}

}  // namespace
}  // namespace concurrency::pipeline
