# DNS: the decoder (decoders library); its record encoder is the template in dns_record.h.
list(APPEND TAPWATCH_DECODER_SOURCES dns/dns.cc)
