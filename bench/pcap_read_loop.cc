// Baseline for the pipeline benchmark: libpcap's own read loop over a file, touching every
// captured byte's length and nothing else. The sensor's wall time is quoted as a ratio of this.
#include <pcap/pcap.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: pcap_read_loop FILE\n");
    return 2;
  }
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(argv[1], errbuf);
  if (p == nullptr) {
    std::fprintf(stderr, "pcap_read_loop: %s\n", errbuf);
    return 1;
  }
  pcap_pkthdr* h;
  const u_char* data;
  unsigned long long packets = 0, bytes = 0, checksum = 0;
  while (pcap_next_ex(p, &h, &data) == 1) {
    ++packets;
    bytes += h->len;
    if (h->caplen > 0) checksum += data[0];  // read one byte so the data is really fetched
  }
  pcap_close(p);
  std::printf("%llu packets %llu bytes (%llu)\n", packets, bytes, checksum);
  return 0;
}
