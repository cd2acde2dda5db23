// The converter as it was first written, through pugixml's DOM: one reused
// `Row` node whose cells' text is set per record and printed with
// `xml_node::print`. Test-only: the differential test and fuzz target hold
// `CsvToXml` (csv_to_xml.h), which writes the same bytes directly, to it.
#ifndef CONCURRENCY_PIPELINE_CSV_CSV_TO_XML_REFERENCE_H_
#define CONCURRENCY_PIPELINE_CSV_CSV_TO_XML_REFERENCE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concurrency/pipeline/csv/csv_to_xml.h"

namespace concurrency::pipeline {

// The whole document, or the error `CsvToXml` gives for the same input.
absl::StatusOr<std::string> CsvToXmlWithPugixml(
    absl::string_view csv, absl::string_view source,
    const CsvToXmlOptions& options = {});

}  // namespace concurrency::pipeline

#endif  // CONCURRENCY_PIPELINE_CSV_CSV_TO_XML_REFERENCE_H_
