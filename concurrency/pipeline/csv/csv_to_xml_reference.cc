#include "concurrency/pipeline/csv/csv_to_xml_reference.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "concurrency/pipeline/csv/csv_parser.h"
#include "pugixml.hpp"

namespace concurrency::pipeline {
namespace {

struct StringWriter : pugi::xml_writer {
  explicit StringWriter(std::string* out) : out(out) {}
  void write(const void* data, size_t size) override {
    out->append(static_cast<const char*>(data), size);
  }
  std::string* out;
};

}  // namespace

absl::StatusOr<std::string> CsvToXmlWithPugixml(
    absl::string_view csv, absl::string_view source,
    const CsvToXmlOptions& options) {
  std::string out;
  std::vector<std::string> names;
  pugi::xml_document doc;
  pugi::xml_node row;
  std::vector<pugi::xml_node> cells;
  bool have_header = false;
  auto on_record = [&](absl::Span<const absl::string_view> fields,
                       int64_t line) -> absl::Status {
    if (!have_header) {
      have_header = true;
      names = XmlElementNames(
          std::vector<std::string>(fields.begin(), fields.end()));
      row = doc.append_child("Row");
      for (const std::string& name : names) {
        cells.push_back(row.append_child(name.c_str()));
      }
      out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Data>\n";
      return absl::OkStatus();
    }
    if (fields.size() != names.size() &&
        !(options.ragged == RaggedRows::kPad && fields.size() < names.size())) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: line %d: the record has %d fields but the header has %d%s",
          source, line, fields.size(), names.size(),
          fields.size() < names.size() ? " (--ragged=pad pads short records)"
                                       : ""));
    }
    for (size_t i = 0; i < names.size(); ++i) {
      if (i < fields.size() && !fields[i].empty()) {
        cells[i].text().set(fields[i].data(), fields[i].size());
      } else if (cells[i].first_child()) {
        cells[i].remove_children();  // an empty element prints as <name />
      }
    }
    StringWriter writer(&out);
    row.print(writer, "\t", pugi::format_indent, pugi::encoding_utf8,
              /*depth=*/1);
    return absl::OkStatus();
  };
  CsvParser parser{std::string(source)};
  if (absl::Status s = parser.Feed(csv, on_record); !s.ok()) return s;
  if (absl::Status s = parser.Finish(on_record); !s.ok()) return s;
  if (!have_header) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": the CSV is empty: no header line to name the columns"));
  }
  return out + "</Data>\n";
}

}  // namespace concurrency::pipeline
