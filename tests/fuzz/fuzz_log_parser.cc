// Fuzz target for the firewall-log source: the input is a log file (any bytes). Every line must
// land in exactly one counter, every frame must be consistent, and nothing may crash or leak.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "sensor/log/source.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using tapwatch::sensor::LogFormat;
  using tapwatch::sensor::LogFrame;
  using tapwatch::sensor::LogSource;
  using tapwatch::sensor::LogSourceOptions;
  for (LogFormat format : {LogFormat::kAuto, LogFormat::kIpchains}) {
    std::string error;
    LogSourceOptions options;
    options.format = format;
    options.year = 2004;
    auto src = LogSource::FromMemory(std::string(reinterpret_cast<const char*>(data), size),
                                     options, &error);
    if (!src) std::abort();
    LogFrame frame;
    uint64_t frames = 0;
    while (src->Next(frame)) {
      ++frames;
      if (frame.cap_len > frame.wire_len || frame.cap_len > frame.bytes.size() ||
          frame.cap_len < 14 + 20) {
        std::abort();
      }
      if (frame.label != src->label_name(frame.label_id)) std::abort();
    }
    const auto& c = src->counters();
    if (c.packet != frames) std::abort();
    if (c.packet + c.non_packet + c.malformed + c.continuation != c.lines) std::abort();
  }
  return 0;
}
