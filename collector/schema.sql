-- tapwatch collector store (SQLite, WAL). One row per flow record received; interim records
-- (active timeout) are rows too, with interim = 1. Scalar FlowRecord fields keep their proto
-- names; maps and sub-messages are stored as JSON text (Protobuf JSON mapping, proto names).
-- NULL conventions (written by collector/store.cc): an empty proto string or bytes field is NULL
-- in a nullable column; an empty map, list or absent sub-message is NULL; src_initial_tcp_flags /
-- dst_initial_tcp_flags are NULL unless ip_proto = 6; icmp_type / icmp_code are NULL unless
-- ip_proto is 1 or 58; a side's ttl_min / ttl_max are NULL when that side sent no packets.
-- Map JSON ({"name": count}) has numeric values; sub-message JSON follows the Protobuf mapping.
-- A store written by an older collector gets the columns added since (ALTER TABLE ... ADD COLUMN,
-- collector/store.cc) when a collector opens it: new columns are nullable or have a default.
PRAGMA journal_mode = WAL;

CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT
);

CREATE TABLE IF NOT EXISTS sensors (
  sensor_id TEXT PRIMARY KEY,
  sensor_start_ns INTEGER,
  received INTEGER NOT NULL DEFAULT 0,    -- records received
  gaps INTEGER NOT NULL DEFAULT 0,        -- records missed (sequence gaps)
  duplicates INTEGER NOT NULL DEFAULT 0,  -- records seen twice
  last_seq INTEGER NOT NULL DEFAULT 0,
  restarts INTEGER NOT NULL DEFAULT 0,    -- new sensor_start_ns seen (sequence restarted at 1)
  final_records INTEGER NOT NULL DEFAULT 0,  -- StatsRecord with final = true received
  last_seen_ns INTEGER,                   -- collector wall clock of the last record
  instance_id INTEGER NOT NULL DEFAULT 0, -- the newest sensor process (Envelope.instance_id)
  resyncs INTEGER NOT NULL DEFAULT 0,     -- implausible sequence jumps, not counted as lost
  conflicts INTEGER NOT NULL DEFAULT 0,   -- processes still sending after a newer one took the id
  recovered INTEGER NOT NULL DEFAULT 0,   -- records stored that a sensor sent again on request
  unrecoverable INTEGER NOT NULL DEFAULT 0  -- of gaps: records gone from the sensor's buffer
);

-- Sequence state per sensor process, written in the same transaction as its records: every seq
-- up to contiguous_seq is stored, and of the seqs up to last_seq all but the holes. A restarted
-- collector asks the sensor for the holes and for what follows last_seq, and never stores a
-- (sensor_id, instance_id, seq) twice.
CREATE TABLE IF NOT EXISTS sensor_instances (
  sensor_id TEXT NOT NULL,
  instance_id INTEGER NOT NULL,           -- Envelope.instance_id, or sensor_start_ns without one
  sensor_start_ns INTEGER,
  last_seq INTEGER NOT NULL DEFAULT 0,
  contiguous_seq INTEGER NOT NULL DEFAULT 0,
  holes TEXT,                             -- missing ranges "first-last first-last ..." or NULL
  conflicting INTEGER NOT NULL DEFAULT 0,
  final_seen INTEGER NOT NULL DEFAULT 0,  -- its final stats record is stored
  resend_endpoint TEXT,                   -- where it answers resend requests (sensor --resend)
  lost_through INTEGER NOT NULL DEFAULT 0,  -- the sensor no longer holds anything up to here
  PRIMARY KEY (sensor_id, instance_id)
);

-- Records the collector refused to store (collector/record_validation.h), added up over every run:
-- reason is one of docs/fields.md's rejection reasons; sensor_id is '' when the id itself was
-- refused (too long to key anything).
CREATE TABLE IF NOT EXISTS rejected_records (
  sensor_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  records INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (sensor_id, reason)
);

CREATE TABLE IF NOT EXISTS flows (
  id INTEGER PRIMARY KEY,
  sensor_id TEXT NOT NULL,
  seq INTEGER NOT NULL,              -- envelope sequence number
  flow_id INTEGER NOT NULL,
  src_addr TEXT NOT NULL,
  dst_addr TEXT NOT NULL,
  src_v4 INTEGER,                    -- IPv4 as an unsigned 32-bit integer, NULL for IPv6
  dst_v4 INTEGER,
  src_port INTEGER NOT NULL,
  dst_port INTEGER NOT NULL,
  ip_proto INTEGER NOT NULL,
  vlan INTEGER NOT NULL DEFAULT 0,
  vlan_inner INTEGER NOT NULL DEFAULT 0,
  src_mac TEXT,
  dst_mac TEXT,
  start_ns INTEGER NOT NULL,
  end_ns INTEGER NOT NULL,
  src_pkts INTEGER NOT NULL,
  dst_pkts INTEGER NOT NULL,
  src_ip_bytes INTEGER NOT NULL,
  dst_ip_bytes INTEGER NOT NULL,
  src_wire_bytes INTEGER NOT NULL,
  dst_wire_bytes INTEGER NOT NULL,
  src_payload_bytes INTEGER NOT NULL,
  dst_payload_bytes INTEGER NOT NULL,
  src_tcp_flags INTEGER NOT NULL,
  dst_tcp_flags INTEGER NOT NULL,
  src_initial_tcp_flags INTEGER,
  dst_initial_tcp_flags INTEGER,
  src_ttl_min INTEGER,
  src_ttl_max INTEGER,
  dst_ttl_min INTEGER,
  dst_ttl_max INTEGER,
  icmp_type INTEGER,
  icmp_code INTEGER,
  direction TEXT,
  conn_state TEXT,
  history TEXT,
  argus_state TEXT,
  argus_flags TEXT,
  end_reason TEXT,
  interim INTEGER NOT NULL DEFAULT 0,
  record_seq INTEGER NOT NULL DEFAULT 0,
  src_fragments INTEGER NOT NULL DEFAULT 0,
  dst_fragments INTEGER NOT NULL DEFAULT 0,
  anomalies_json TEXT,               -- {"ipv4_bad_header_length": 2, ...} or NULL
  bare_ack INTEGER NOT NULL DEFAULT 0,
  src_bare_ack_pkts INTEGER NOT NULL DEFAULT 0,
  dst_bare_ack_pkts INTEGER NOT NULL DEFAULT 0,
  src_first_bytes BLOB,
  dst_first_bytes BLOB,
  payload_labels_json TEXT,          -- ["code_red: GET /default.ida?NNNN", ...] or NULL
  http_method TEXT,
  http_uri TEXT,
  smb_json TEXT,                     -- SmbSummary as JSON, NULL when no SMB seen
  netbios_json TEXT,                 -- NetbiosSummary as JSON, NULL when none
  icmp_json TEXT,                    -- IcmpSummary as JSON, NULL for non-ICMP
  log_labels_json TEXT,              -- {"INBOUND TCP": 3} or NULL
  in_iface TEXT,
  out_iface TEXT,
  community_id TEXT,                 -- Community ID v1, "1:" + base64; NULL when the sensor had none
  dns_json TEXT                      -- DnsSummary as JSON, NULL when no DNS seen
);
CREATE INDEX IF NOT EXISTS flows_dst ON flows (dst_addr, dst_port);
CREATE INDEX IF NOT EXISTS flows_src ON flows (src_addr, start_ns);
CREATE INDEX IF NOT EXISTS flows_start ON flows (start_ns);
-- Older stores also had flows_proto_port (ip_proto, dst_port). Nothing needs it
-- (the report's one query on ip_proto reads most rows and is faster as a scan; `flows --proto`
-- now filters while walking flows_start), and building it cost ~9% of a bulk load: dropped here.
DROP INDEX IF EXISTS flows_proto_port;

CREATE TABLE IF NOT EXISTS stats (
  id INTEGER PRIMARY KEY,
  sensor_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  interval_start_ns INTEGER NOT NULL,
  interval_end_ns INTEGER NOT NULL,
  packets INTEGER NOT NULL,
  wire_bytes INTEGER NOT NULL,
  decoded INTEGER NOT NULL,
  unsupported INTEGER NOT NULL,
  malformed INTEGER NOT NULL,
  non_ip INTEGER NOT NULL DEFAULT 0,
  flows_created INTEGER NOT NULL,
  flows_exported INTEGER NOT NULL,
  flows_evicted INTEGER NOT NULL,
  flows_active INTEGER NOT NULL,
  kernel_drops INTEGER NOT NULL,
  kernel_if_drops INTEGER NOT NULL,
  zmq_send_drops INTEGER NOT NULL,
  total_packets INTEGER NOT NULL,
  log_lines_packet INTEGER NOT NULL DEFAULT 0,
  log_lines_other INTEGER NOT NULL DEFAULT 0,
  log_lines_malformed INTEGER NOT NULL DEFAULT 0,
  is_final INTEGER NOT NULL DEFAULT 0,
  anomalies_json TEXT,
  non_ip_ethertypes_json TEXT        -- {"0x0806": 12} or NULL
);
CREATE INDEX IF NOT EXISTS stats_time ON stats (interval_start_ns);
