#!/bin/sh
# Builds a 10x larger bench store from an existing one with SQL (much faster than row-by-row
# generation on a loaded machine): copies SRC, drops the indexes, appends 9 shifted copies of
# every row (external addresses moved, start times nudged), recreates the schema's indexes.
#   bench/report_bench.sh SRC.db DST.db
# Then: report_bench --rows <10 x N> --db DST.db
set -eu
src=$1
dst=$2
rm -f "$dst" "$dst-wal" "$dst-shm"
sqlite3 "$src" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
cp "$src" "$dst"
cols=$(sqlite3 "$dst" "SELECT group_concat(name, ', ') FROM pragma_table_info('flows') WHERE name <> 'id'")
shifted=$(echo "$cols" | sed -e 's/\bsrc_v4\b/CASE WHEN (src_v4 >> 16) = 44052 THEN src_v4 ELSE src_v4 + k * 7001 END/' \
  -e 's/\bdst_v4\b/CASE WHEN (dst_v4 >> 16) = 44052 THEN dst_v4 ELSE dst_v4 + k * 7001 END/' \
  -e 's/\bstart_ns\b/start_ns + k * 1000/')
n=$(sqlite3 "$dst" "SELECT max(id) FROM flows")
sqlite3 "$dst" <<SQL
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -1000000;
DROP INDEX IF EXISTS flows_dst;
DROP INDEX IF EXISTS flows_src;
DROP INDEX IF EXISTS flows_start;
DROP INDEX IF EXISTS flows_proto_port;
WITH RECURSIVE copies(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM copies WHERE k < 9)
INSERT INTO flows ($cols) SELECT $shifted FROM copies CROSS JOIN flows WHERE flows.id <= $n;
CREATE INDEX flows_dst ON flows (dst_addr, dst_port);
CREATE INDEX flows_src ON flows (src_addr, start_ns);
CREATE INDEX flows_start ON flows (start_ns);
PRAGMA journal_mode = WAL;
SQL
sqlite3 "$dst" "SELECT 'rows', max(id) FROM flows"
