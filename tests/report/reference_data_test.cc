// Service names: the project's ports.tsv (names and malware notes) first, then every other port
// the system's services database (netbase's /etc/services) names. The expected names are read
// from /etc/services here by a plain parser, independent of libc's getservent.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>

#include "collector/report/reference_data.h"

namespace tapwatch::collector::report {
namespace {

using ProtoPort = std::pair<int, uint32_t>;

// "name port/proto [aliases] [# comment]": the first name given to each tcp/udp port.
std::map<ProtoPort, std::string> ReadServicesFile(const std::string& path) {
  std::map<ProtoPort, std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find('#'));
    std::istringstream words(line);
    std::string name, port_proto;
    if (!(words >> name >> port_proto)) continue;
    const size_t slash = port_proto.find('/');
    if (slash == std::string::npos) continue;
    const std::string proto = port_proto.substr(slash + 1);
    if (proto != "tcp" && proto != "udp") continue;
    const ProtoPort key{proto == "tcp" ? 6 : 17,
                        static_cast<uint32_t>(std::stoul(port_proto.substr(0, slash)))};
    out.emplace(key, name);
  }
  return out;
}

std::map<ProtoPort, std::string> ReadPortsTsv(const std::string& path) {
  std::map<ProtoPort, std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream f(line);
    std::string proto, port, name;
    std::getline(f, proto, '\t');
    std::getline(f, port, '\t');
    std::getline(f, name, '\t');
    out.emplace(ProtoPort{proto == "tcp" ? 6 : 17, static_cast<uint32_t>(std::stoul(port))}, name);
  }
  return out;
}

TEST(ReferenceServices, ProjectNotesFirstThenTheSystemServicesDatabase) {
  const auto system = ReadServicesFile("/etc/services");
  if (system.empty()) {
    if (std::getenv("CI") != nullptr && std::string(std::getenv("CI")) == "true")
      FAIL() << "/etc/services missing (package netbase)";
    GTEST_SKIP() << "/etc/services missing (package netbase)";
  }
  ReferenceData ref;
  std::string error;
  ASSERT_TRUE(ref.Load(TAPWATCH_DATA_DIR, &error)) << error;
  const auto project = ReadPortsTsv(std::string(TAPWATCH_DATA_DIR) + "/ports.tsv");
  ASSERT_FALSE(project.empty());

  size_t from_system = 0;
  for (const auto& [key, name] : system) {
    const PortInfo* p = ref.FindPort(key.first, key.second);
    ASSERT_NE(p, nullptr) << key.first << "/" << key.second;
    if (project.count(key)) continue;
    EXPECT_EQ(p->service, name) << key.first << "/" << key.second;
    EXPECT_EQ(p->note, "");
    ++from_system;
  }
  EXPECT_GT(from_system, 100u);  // netbase names a few hundred ports
  for (const auto& [key, name] : project) {
    const PortInfo* p = ref.FindPort(key.first, key.second);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->service, name) << "ports.tsv keeps its name for " << key.second;
  }
  EXPECT_EQ(ref.FindPort(6, 5432)->service, system.at({6, 5432}));  // postgresql
  EXPECT_FALSE(ref.FindPort(6, 135)->note.empty());                 // Blaster / Welchia
}

}  // namespace
}  // namespace tapwatch::collector::report
