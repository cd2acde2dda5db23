// Fuzzes the telnet decoder (IAC parsing) on any bytes a server can send,
// split where the input says. Checks: no crash; the same data, replies and
// negotiation whatever the split; every reply is a well-formed refusal
// (IAC WONT x or IAC DONT x); and data never holds more bytes than came in.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "classes/telnet_decoder.h"
#include "tools/fuzzing/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  absl::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t split = size > 1 ? data[0] % size : 0;

  classes::TelnetDecoder whole;
  std::string whole_data, whole_replies;
  whole.Consume(bytes, &whole_data, &whole_replies);

  classes::TelnetDecoder pieces;
  std::string pieces_data, pieces_replies;
  pieces.Consume(bytes.substr(0, split), &pieces_data, &pieces_replies);
  pieces.Consume(bytes.substr(split), &pieces_data, &pieces_replies);

  FUZZ_CHECK(whole_data == pieces_data);
  FUZZ_CHECK(whole_replies == pieces_replies);
  FUZZ_CHECK(whole.negotiation() == pieces.negotiation());
  FUZZ_CHECK(whole_data.size() <= bytes.size());
  FUZZ_CHECK(whole_replies.size() == 3 * whole.negotiation().size());
  for (size_t i = 0; i < whole_replies.size(); i += 3) {
    auto iac = static_cast<unsigned char>(whole_replies[i]);
    auto verb = static_cast<unsigned char>(whole_replies[i + 1]);
    FUZZ_CHECK(iac == classes::kIac);
    FUZZ_CHECK(verb == classes::kWont || verb == classes::kDont);
  }
  return 0;
}
