// TelnetDecoder: the receiving half of RFC 854's network virtual terminal,
// apart from any socket so that it can be tested and fuzzed on bytes alone.
//
// It splits what a server sends into data and commands: IAC IAC is a data
// byte 255; an option request is refused (DO x -> WONT x, WILL x -> DONT x;
// DONT and WONT need no answer), the refusal's bytes appended to `replies`
// for the caller to send; a subnegotiation (IAC SB ... IAC SE) is skipped;
// other commands (NOP, GA, ...) are dropped. A command may be split across
// calls: the state carries over.
//
// Not thread-safe: one decoder per connection.
#ifndef CLASSES_TELNET_DECODER_H_
#define CLASSES_TELNET_DECODER_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace classes {

// Telnet command bytes (RFC 854).
inline constexpr unsigned char kIac = 255, kDont = 254, kDo = 253, kWont = 252,
                               kWill = 251, kSb = 250, kSe = 240;

class TelnetDecoder {
 public:
  // Decodes `bytes`: data goes to `*data`, option refusals to `*replies`.
  void Consume(absl::string_view bytes, std::string* data,
               std::string* replies);

  // Every answer so far, one entry each: "WONT 1", "DONT 3".
  const std::vector<std::string>& negotiation() const { return negotiation_; }

 private:
  enum class State { kData, kIac, kOption, kSub, kSubIac };

  void Refuse(unsigned char option, std::string* replies);

  State state_ = State::kData;
  unsigned char command_ = 0;
  std::vector<std::string> negotiation_;
};

}  // namespace classes

#endif  // CLASSES_TELNET_DECODER_H_
