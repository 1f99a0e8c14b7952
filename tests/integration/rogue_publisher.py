"""A publisher that is not tapwatch-sensor, for the collector's hostile-input tests: Debian's
python3-zmq and the generated tapwatch_pb2 (Python protobuf), so every record and frame is made
here, independently of the C++ code, with planted values the tests count on.

Needs /usr/bin/python3 with python3-zmq and python3-protobuf: ensure_system_python() re-runs
the calling script under it when the current interpreter lacks them.
"""

import os
import subprocess
import sys
import time

SYSTEM_PYTHON = "/usr/bin/python3"


def ensure_system_python(skip):
    """Re-executes the running script with SYSTEM_PYTHON unless zmq imports here; `skip(reason)`
    when that interpreter lacks the modules too."""
    try:
        import zmq  # noqa: F401
        import google.protobuf  # noqa: F401
        return
    except ImportError:
        pass
    if os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON):
        probe = subprocess.run([SYSTEM_PYTHON, "-c", "import zmq, google.protobuf"],
                               capture_output=True, text=True)
        if probe.returncode == 0:
            os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON] + sys.argv)
    skip("%s lacks python3-zmq / python3-protobuf (scripts/setup.sh installs them)"
         % SYSTEM_PYTHON)


def load_pb2(pb2_dir):
    sys.path.insert(0, pb2_dir)
    import tapwatch_pb2
    return tapwatch_pb2


class Rogue:
    """An XPUB socket bound to `endpoint`: it sees the collector's subscriptions, so sends start
    once the collector listens and resume once it reconnected after a dropped connection."""

    def __init__(self, endpoint):
        import zmq
        self.zmq = zmq
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.XPUB)
        self.sock.setsockopt(zmq.XPUB_VERBOSE, 1)  # every subscription, repeats too
        self.sock.setsockopt(zmq.SNDHWM, 0)
        self.sock.setsockopt(zmq.LINGER, 5000)
        self.sock.bind(endpoint)

    def wait_subscribed(self, timeout_s=30, topics=(b"flow", b"stats", b"batch.flow")):
        """Waits until the collector subscribed to every one of `topics` (again)."""
        want = set(topics)
        deadline = time.time() + timeout_s
        while want and time.time() < deadline:
            if self.sock.poll(200):
                msg = self.sock.recv()
                if msg[:1] == b"\x01":
                    want.discard(msg[1:])
        if want:
            raise RuntimeError("collector never subscribed to %r" % sorted(want))

    def send(self, topic, *bodies):
        self.sock.send_multipart([topic] + list(bodies), copy=False)

    def close(self):
        self.sock.close()
        self.ctx.term()


def flow_envelope(pb2, sensor, seq, i, start_ns=None):
    """A valid flow record, numbered i: 10.0.x.y -> 192.0.2.1:80/tcp, 2004 times."""
    e = pb2.Envelope()
    e.sensor_id = sensor
    e.seq = seq
    e.sensor_start_ns = 1700000000000000000
    f = e.flow
    f.flow_id = i + 1
    f.sensor_id = sensor
    f.src_addr = "10.0.%d.%d" % ((i >> 8) & 255, i & 255)
    f.dst_addr = "192.0.2.1"
    f.src_port = 1024 + i % 60000
    f.dst_port = 80
    f.ip_proto = 6
    f.start_ns = start_ns if start_ns is not None else 1081000000000000000 + i * 1000000
    f.end_ns = f.start_ns + 499999937  # no start_ns equals any end_ns
    f.src_pkts = 3
    f.dst_pkts = 2
    f.src_ip_bytes = 180
    f.dst_ip_bytes = 120
    f.src_wire_bytes = 222
    f.dst_wire_bytes = 148
    f.src_tcp_flags = 0x1b
    f.dst_tcp_flags = 0x12
    f.src_ttl_min = f.src_ttl_max = 64
    f.dst_ttl_min = f.dst_ttl_max = 128
    f.conn_state = "SF"
    f.end_reason = "tcp-close"
    return e


def final_stats(pb2, sensor, seq):
    e = pb2.Envelope()
    e.sensor_id = sensor
    e.seq = seq
    e.sensor_start_ns = 1700000000000000000
    s = e.stats
    s.sensor_id = sensor
    s.interval_start_ns = 1081000000000000000
    s.interval_end_ns = 1081000060000000000
    s.final = True
    return e


def batch(pb2, envelopes):
    b = pb2.EnvelopeBatch()
    b.envelopes.extend(envelopes)
    return b.SerializeToString()


def peak_rss_kib(pid):
    """VmHWM of a running process (its peak resident set), in KiB; None once it exited."""
    try:
        with open("/proc/%d/status" % pid, encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None
