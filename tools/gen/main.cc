// tapwatch-gen: writes the deterministic captures in pcaps/ and benchmark captures.
//   tapwatch-gen honeynet --out FILE.pcap --truth FILE.json
//   tapwatch-gen small NAME --dir DIR      (welchia_vs_tracert, codered_bare_ack,
//                                           smb_reserved_leak, tcp_states)
//   tapwatch-gen bench --out FILE --packets N --flows F [--app-share 0.33] [--seed S]
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "tools/gen/generators.h"

namespace {

int Usage() {
  std::fprintf(stderr,
               "usage: tapwatch-gen honeynet --out FILE --truth FILE\n"
               "       tapwatch-gen small NAME --dir DIR\n"
               "       tapwatch-gen bench --out FILE [--packets N] [--flows F] "
               "[--app-share X] [--seed S]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  const std::string cmd = argv[1];
  std::string out, truth, dir, name;
  tapwatch::tools::BenchOptions bench;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "tapwatch-gen: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    try {
      if (a == "--out") {
        out = value();
      } else if (a == "--truth") {
        truth = value();
      } else if (a == "--dir") {
        dir = value();
      } else if (a == "--packets") {
        bench.packets = std::stoull(value());
      } else if (a == "--flows") {
        bench.flows = std::stoull(value());
      } else if (a == "--app-share") {
        bench.app_share = std::stod(value());
      } else if (a == "--seed") {
        bench.seed = std::stoull(value());
      } else if (cmd == "small" && name.empty() && a.rfind("--", 0) != 0) {
        name = a;
      } else {
        std::fprintf(stderr, "tapwatch-gen: unknown argument %s\n", a.c_str());
        return 2;
      }
    } catch (const std::exception&) {
      std::fprintf(stderr, "tapwatch-gen: bad value for %s\n", a.c_str());
      return 2;
    }
  }
  try {
    if (cmd == "honeynet") {
      if (out.empty() || truth.empty()) return Usage();
      return tapwatch::tools::GenerateHoneynet(out, truth);
    }
    if (cmd == "small") {
      if (name.empty() || dir.empty()) return Usage();
      return tapwatch::tools::GenerateSmall(name, dir);
    }
    if (cmd == "bench") {
      if (out.empty() || bench.packets == 0 || bench.flows == 0 || bench.flows > bench.packets ||
          bench.app_share < 0 || bench.app_share > 0.9) {
        return Usage();
      }
      bench.out = out;
      return tapwatch::tools::GenerateBench(bench);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tapwatch-gen: %s\n", e.what());
    return 1;
  }
  return Usage();
}
