// Baseline for the pipeline benchmark: libpcap's own read loop over a file, touching every
// captured byte's length and nothing else. The sensor's wall time is quoted as a ratio of this.
// With --zero-copy the same loop runs over the sensor's own reader (sensor/pcap_file_reader.h),
// which is what the sensor's floor is now.
#include <pcap/pcap.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "sensor/pcap_file_reader.h"

int main(int argc, char** argv) {
  const bool zero_copy = argc == 3 && std::strcmp(argv[1], "--zero-copy") == 0;
  if (argc != 2 && !zero_copy) {
    std::fprintf(stderr, "usage: pcap_read_loop [--zero-copy] FILE\n");
    return 2;
  }
  unsigned long long packets = 0, bytes = 0, checksum = 0;
  if (zero_copy) {
    tapwatch::sensor::PcapFileReader reader;
    std::string error;
    if (!reader.OpenFile(argv[2], error)) {
      std::fprintf(stderr, "pcap_read_loop: %s: %s\n", argv[2],
                   error.empty() ? "not a classic pcap file" : error.c_str());
      return 1;
    }
    tapwatch::sensor::RawPacket p;
    tapwatch::sensor::PcapFileReader::Result r;
    while ((r = reader.Next(p)) == tapwatch::sensor::PcapFileReader::Result::kPacket) {
      ++packets;
      bytes += p.wire_len;
      if (p.cap_len > 0) checksum += p.data[0];
    }
    if (r == tapwatch::sensor::PcapFileReader::Result::kError) {
      std::fprintf(stderr, "pcap_read_loop: %s\n", reader.error().c_str());
      return 1;
    }
  } else {
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(argv[1], errbuf);
    if (p == nullptr) {
      std::fprintf(stderr, "pcap_read_loop: %s\n", errbuf);
      return 1;
    }
    pcap_pkthdr* h;
    const u_char* data;
    while (pcap_next_ex(p, &h, &data) == 1) {
      ++packets;
      bytes += h->len;
      if (h->caplen > 0) checksum += data[0];  // read one byte so the data is really fetched
    }
    pcap_close(p);
  }
  std::printf("%llu packets %llu bytes (%llu)\n", packets, bytes, checksum);
  return 0;
}
