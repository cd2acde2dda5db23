#include "classes/telnet_decoder.h"

#include "absl/strings/str_cat.h"

namespace classes {

void TelnetDecoder::Refuse(unsigned char option, std::string* replies) {
  // We support no option: refuse what is offered or asked.
  unsigned char reply = command_ == kDo ? kWont : command_ == kWill ? kDont : 0;
  if (reply == 0) return;
  negotiation_.push_back(
      absl::StrCat(reply == kWont ? "WONT" : "DONT", " ", option));
  replies->push_back(static_cast<char>(kIac));
  replies->push_back(static_cast<char>(reply));
  replies->push_back(static_cast<char>(option));
}

void TelnetDecoder::Consume(absl::string_view bytes, std::string* data,
                            std::string* replies) {
  for (char byte : bytes) {
    const auto c = static_cast<unsigned char>(byte);
    switch (state_) {
      case State::kData:
        if (c == kIac) {
          state_ = State::kIac;
        } else {
          data->push_back(byte);
        }
        break;
      case State::kIac:
        if (c == kIac) {
          data->push_back(byte);
          state_ = State::kData;
        } else if (c == kDo || c == kDont || c == kWill || c == kWont) {
          command_ = c;
          state_ = State::kOption;
        } else if (c == kSb) {
          state_ = State::kSub;
        } else {
          state_ = State::kData;  // NOP, GA, ...: nothing to do
        }
        break;
      case State::kOption:
        state_ = State::kData;
        Refuse(c, replies);
        break;
      case State::kSub:
        if (c == kIac) state_ = State::kSubIac;
        break;
      case State::kSubIac:
        state_ = c == kSe ? State::kData : State::kSub;
        break;
    }
  }
}

}  // namespace classes
