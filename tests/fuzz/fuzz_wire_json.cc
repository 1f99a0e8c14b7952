// Fuzz target: arbitrary bytes as an Envelope's binary encoding through the JSON-lines printer
// (sensor/wire_json.h), differentially against protobuf: bytes the walk prints must be bytes
// protobuf's binary parser accepts, and protobuf's JSON parser must read the printed line back as
// exactly the message the binary parser read.
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sensor/wire_json.h"
#include "tapwatch.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)quiet;
  const std::string_view wire(reinterpret_cast<const char*>(data), size);
  std::string json = "keep";
  const bool printed =
      tapwatch::sensor::AppendJsonFromWire(*tapwatch::proto::Envelope::descriptor(), wire, json);
  if (!printed) {
    if (json != "keep") __builtin_trap();  // a refusal leaves the output as it was
    return 0;
  }
  tapwatch::proto::Envelope parsed;
  if (!parsed.ParseFromArray(data, static_cast<int>(size))) __builtin_trap();
  tapwatch::proto::Envelope back;
  if (!google::protobuf::util::JsonStringToMessage(json.substr(4), &back).ok()) __builtin_trap();
  if (!google::protobuf::util::MessageDifferencer::Equals(back, parsed)) __builtin_trap();
  return 0;
}
