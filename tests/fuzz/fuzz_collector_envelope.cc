// Fuzz target: arbitrary bytes as a ZeroMQ message body through the collector's decode + store
// path (Envelope parse, sequence accounting, row binding, JSON of maps and sub-messages) into an
// in-memory SQLite store.
#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "collector/store.h"
#include "tapwatch.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::unique_ptr<tapwatch::collector::Store> store = [] {
    google::protobuf::SetLogHandler(nullptr);  // invalid UTF-8 is reported per message
    std::string error;
    auto s = tapwatch::collector::Store::Open(":memory:", error);
    if (!s) __builtin_trap();
    return s;
  }();
  static uint64_t calls = 0;
  tapwatch::proto::Envelope envelope;
  if (!envelope.ParseFromArray(data, static_cast<int>(size))) return 0;
  if (!store->Add(envelope)) __builtin_trap();  // a parsed Envelope must always store
  if (++calls % 64 == 0 && !store->Commit()) __builtin_trap();
  return 0;
}
