// Converts one CSV file to the tutorial's XML, streaming: memory stays the
// same for any input size. The XML appears under --out only when complete.
//
//   bazel run -c opt //concurrency/pipeline:csv2xml -- --in=prices.csv
//   --out=prices.xml
#include <sys/resource.h>

#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/clock.h"
#include "concurrency/pipeline/csv/csv_to_xml.h"

ABSL_FLAG(std::string, in, "", "CSV file to read.");
ABSL_FLAG(std::string, out, "", "XML file to write (must not exist).");
ABSL_FLAG(std::string, ragged, "error",
          "Records with a field count unlike the header's: 'error' or 'pad'.");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Converts a CSV file to XML (root Data, a Row per record, an element "
      "per column), in bounded memory.");
  absl::ParseCommandLine(argc, argv);
  const std::string in = absl::GetFlag(FLAGS_in),
                    out = absl::GetFlag(FLAGS_out);
  if (in.empty() || out.empty()) {
    std::fprintf(stderr, "csv2xml: --in and --out are required\n");
    return 2;
  }
  concurrency::pipeline::CsvToXmlOptions options;
  const std::string ragged = absl::GetFlag(FLAGS_ragged);
  if (ragged == "pad") {
    options.ragged = concurrency::pipeline::RaggedRows::kPad;
  } else if (ragged != "error") {
    std::fprintf(stderr, "csv2xml: --ragged=%s: expected 'error' or 'pad'\n",
                 ragged.c_str());
    return 2;
  }
  absl::Time t0 = absl::Now();
  if (absl::Status s =
          concurrency::pipeline::CsvFileToXmlFile(in, out, options);
      !s.ok()) {
    std::fprintf(stderr, "csv2xml: %s\n", s.ToString().c_str());
    return 1;
  }
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  std::printf("%s -> %s in %.3f s, peak RSS %ld MiB\n", in.c_str(), out.c_str(),
              absl::ToDoubleSeconds(absl::Now() - t0), ru.ru_maxrss / 1024);
  return 0;
}
