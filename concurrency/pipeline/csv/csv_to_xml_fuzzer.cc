// Fuzzes CSV -> XML end to end. Whatever the converter accepts must come out
// as XML that pugixml parses, holding, row by row and column by column, the
// values Python's csv module reads from the same bytes (a file opened with
// encoding="utf-8-sig", newline=""): the reference reader below is that
// module's default dialect, for the strict RFC 4180 input the converter
// accepts. XML turns a CR into LF when read (XML 1.0 2.11), so the expected
// values are compared after the same normalisation.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "concurrency/pipeline/csv/csv_to_xml.h"
#include "concurrency/pipeline/csv/csv_to_xml_reference.h"
#include "pugixml.hpp"
#include "tools/fuzzing/check.h"

namespace {

using Rows = std::vector<std::vector<std::string>>;

// Python's csv.reader, default dialect (delimiter ",", quotechar '"',
// doublequote, no escapechar, skipinitialspace False), on input the strict
// parser accepted. Empty lines give no row, as csv.reader's [] rows are
// skipped by the converter.
Rows PythonCsvReader(absl::string_view s) {
  if (absl::StartsWith(s, "\xEF\xBB\xBF")) s.remove_prefix(3);  // utf-8-sig
  Rows rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, in_quotes = false, row_started = false;
  auto end_field = [&] {
    row.push_back(field);
    field.clear();
    quoted = false;
  };
  auto end_row = [&] {
    if (row_started) {
      end_field();
      rows.push_back(row);
    }
    row.clear();
    row_started = false;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_quotes) {
      if (c == '"' && i + 1 < s.size() && s[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        in_quotes = false;
      } else {
        field.push_back(c);
      }
      continue;
    }
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
      end_row();
      continue;
    }
    row_started = true;
    if (c == ',') {
      end_field();
    } else if (c == '"' && field.empty() && !quoted) {
      in_quotes = quoted = true;
    } else {
      field.push_back(c);
    }
  }
  end_row();
  return rows;
}

std::string XmlLineEnds(absl::string_view v) {
  return absl::StrReplaceAll(absl::StrReplaceAll(v, {{"\r\n", "\n"}}),
                             {{"\r", "\n"}});
}

}  // namespace

// The converter fed in chunks of `n` bytes, each a copy of its own.
absl::StatusOr<std::string> ConvertInChunks(absl::string_view csv, size_t n) {
  std::string out;
  concurrency::pipeline::CsvToXmlConverter c("fuzz",
                                             [&out](absl::string_view b) {
                                               out.append(b.data(), b.size());
                                               return absl::OkStatus();
                                             });
  for (; !csv.empty(); csv.remove_prefix(std::min(n, csv.size()))) {
    const std::string chunk(csv.substr(0, n));
    if (absl::Status s = c.Feed(chunk); !s.ok()) return s;
  }
  if (absl::Status s = c.Finish(); !s.ok()) return s;
  return out;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view csv(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::string> xml =
      concurrency::pipeline::CsvToXml(csv, "fuzz");
  // Byte-identical to pugixml's serialization of the same document, or the
  // same error; and the same bytes whatever the chunking.
  absl::StatusOr<std::string> reference =
      concurrency::pipeline::CsvToXmlWithPugixml(csv, "fuzz");
  FUZZ_CHECK(xml.ok() == reference.ok());
  FUZZ_CHECK(xml.ok() ? *xml == *reference
                      : xml.status() == reference.status());
  absl::StatusOr<std::string> chunked = ConvertInChunks(csv, 1 + size % 13);
  FUZZ_CHECK(chunked.ok() == xml.ok());
  FUZZ_CHECK(!xml.ok() || *chunked == *xml);
  if (!xml.ok()) {
    FUZZ_CHECK(absl::StrContains(xml.status().message(), "fuzz"));
    return 0;
  }
  pugi::xml_document doc;
  pugi::xml_parse_result parsed = doc.load_buffer(
      xml->data(), xml->size(), pugi::parse_default | pugi::parse_ws_pcdata);
  FUZZ_CHECK(parsed);
  Rows expected = PythonCsvReader(csv);
  pugi::xml_node root = doc.child("Data");
  FUZZ_CHECK(root);
  size_t r = 1;  // expected[0] is the header
  for (pugi::xml_node row : root.children("Row")) {
    FUZZ_CHECK(r < expected.size());
    size_t c = 0;
    for (pugi::xml_node value : row.children()) {
      if (value.type() != pugi::node_element) continue;
      FUZZ_CHECK(c < expected[r].size());
      FUZZ_CHECK(value.text().as_string() == XmlLineEnds(expected[r][c]));
      ++c;
    }
    FUZZ_CHECK(c == expected[0].size());
    ++r;
  }
  FUZZ_CHECK(r == std::max<size_t>(expected.size(), 1));
  return 0;
}
