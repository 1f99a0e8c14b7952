#!/usr/bin/python3
"""A tapwatch subscriber in a few lines of Python: how any tool reads the sensor's stream.

Connects a ZeroMQ SUB socket to one or more sensors, takes flow records in both wire forms
(topic "batch.flow": an EnvelopeBatch; topic "flow": one Envelope) and stats records (topic
"stats"), counts what each sensor's sequence numbers say was missed, and prints every flow as a
JSON line (protobuf's JSON mapping, proto field names) or as one short text line. It stops after
the final stats record of --sensors sensors, or after --idle seconds without a message.

Needs Debian's python3-zmq and python3-protobuf, and tapwatch_pb2.py (generated from
proto/tapwatch.proto by the build into build/proto/, installed beside this script into
/usr/local/share/tapwatch/).

usage: tapwatch_subscribe.py [--connect ENDPOINT]... [--jsonl | --text] [--sensors N] [--idle S]
                             [--pb2-dir DIR]
"""

import argparse
import json
import os
import sys


def load_schema(pb2_dir):
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [pb2_dir, here, os.path.join(here, "..", "build", "proto"),
                  "/usr/local/share/tapwatch"]
    for d in candidates:
        if d and os.path.exists(os.path.join(d, "tapwatch_pb2.py")):
            sys.path.insert(0, d)
            break
    import tapwatch_pb2  # noqa: E402  (found above)
    return tapwatch_pb2


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--connect", action="append", default=[],
                    help="sensor endpoint (repeatable; default tcp://127.0.0.1:5556)")
    form = ap.add_mutually_exclusive_group()
    form.add_argument("--jsonl", action="store_true", help="flows as JSON lines (default)")
    form.add_argument("--text", action="store_true", help="flows as short text lines")
    ap.add_argument("--sensors", type=int, default=1,
                    help="stop after the final stats record of this many sensors (0: never)")
    ap.add_argument("--idle", type=float, default=0, help="stop after S idle seconds (0: never)")
    ap.add_argument("--pb2-dir", help="directory holding tapwatch_pb2.py")
    args = ap.parse_args()

    import zmq
    from google.protobuf import json_format
    pb = load_schema(args.pb2_dir)

    sock = zmq.Context.instance().socket(zmq.SUB)
    sock.setsockopt(zmq.RCVHWM, 0)  # never drop on our side: the sensor's seq counts the rest
    for topic in (b"batch.flow", b"flow", b"stats"):
        sock.setsockopt(zmq.SUBSCRIBE, topic)
    for endpoint in args.connect or ["tcp://127.0.0.1:5556"]:
        sock.connect(endpoint)

    last_seq = {}   # sensor id -> highest seq seen
    missed = {}     # sensor id -> records the sequence numbers say were missed
    finals = set()
    counts = {"flow": 0, "stats": 0, "messages": 0, "malformed": 0}
    out = sys.stdout

    def envelope(env):
        sid = env.sensor_id
        prev = last_seq.get(sid, 0)
        if env.seq > prev + 1:
            missed[sid] = missed.get(sid, 0) + env.seq - prev - 1
        last_seq[sid] = max(prev, env.seq)
        kind = env.WhichOneof("body")
        if kind == "flow":
            counts["flow"] += 1
            f = env.flow
            if args.text:
                out.write("%s %s:%d -> %s:%d proto %d pkts %d/%d %s\n" % (
                    sid, f.src_addr, f.src_port, f.dst_addr, f.dst_port, f.ip_proto, f.src_pkts,
                    f.dst_pkts, f.conn_state or "-"))
            else:
                out.write(json.dumps(json_format.MessageToDict(
                    f, preserving_proto_field_name=True), separators=(",", ":")) + "\n")
        elif kind == "stats":
            counts["stats"] += 1
            if env.stats.final:
                finals.add(sid)

    poller = zmq.Poller()
    poller.register(sock, zmq.POLLIN)
    while args.sensors == 0 or len(finals) < args.sensors:
        if not poller.poll(args.idle * 1000 if args.idle > 0 else None):
            break
        frames = sock.recv_multipart()
        counts["messages"] += 1
        if len(frames) != 2:
            counts["malformed"] += 1
            continue
        topic, body = frames
        try:
            if topic == b"batch.flow":
                batch = pb.EnvelopeBatch()
                batch.ParseFromString(body)
                for env in batch.envelopes:
                    envelope(env)
            else:
                env = pb.Envelope()
                env.ParseFromString(body)
                envelope(env)
        except Exception:  # a body that does not parse: counted, never fatal
            counts["malformed"] += 1
    out.flush()
    for sid in sorted(last_seq):
        sys.stderr.write("tapwatch_subscribe: sensor %s: last seq %d, missed %d\n" %
                         (sid, last_seq[sid], missed.get(sid, 0)))
    sys.stderr.write("tapwatch_subscribe: %d flow records, %d stats records in %d messages, "
                     "%d malformed\n" % (counts["flow"], counts["stats"], counts["messages"],
                                         counts["malformed"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
