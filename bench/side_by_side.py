#!/usr/bin/env python3
"""Side-by-side pairs: runs two sensor command lines at the same time, one per core, swapping
the cores every round, and prints the median of the per-round CPU-time ratios A/B.

On a shared host the speed of one run moves by tens of percent with what the neighbours do; two
runs that share the same seconds see the same neighbours, so their ratio stays put where the ratio
of two runs taken one after the other does not. CPU time (user + sys, from wait4, microsecond
resolution) of each process; the sensors publish to no subscriber, so only their own work counts.

Usage: side_by_side.py ROUNDS CAPTURE "SENSOR ARGS A" "SENSOR ARGS B"
"""
import os
import shlex
import statistics
import subprocess
import sys


def main() -> int:
    if len(sys.argv) != 5:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    rounds, capture = int(sys.argv[1]), sys.argv[2]
    commands = [shlex.split(sys.argv[3]), shlex.split(sys.argv[4])]
    cores = sorted(os.sched_getaffinity(0))[:2]
    if len(cores) < 2:
        print("side_by_side: needs two cores", file=sys.stderr)
        return 2
    cpu = [[], []]
    for r in range(rounds):
        running = {}
        for k in (0, 1):
            args = ["taskset", "-c", str(cores[(r + k) % 2])] + commands[k] + [
                "-r", capture, "--publish", "tcp://127.0.0.1:*", "--wait-subscribers", "0",
                "--hash-seed", "1", "-q"]
            running[subprocess.Popen(args, stdout=subprocess.DEVNULL).pid] = k
        while running:
            pid, status, usage = os.wait4(-1, 0)
            if pid not in running:
                continue
            k = running.pop(pid)
            if status != 0:
                print(f"side_by_side: {' '.join(commands[k])} failed ({status})", file=sys.stderr)
                return 1
            cpu[k].append(usage.ru_utime + usage.ru_stime)
    ratios = sorted(a / b for a, b in zip(cpu[0], cpu[1]))
    print(f"{statistics.median(ratios):.3f} {ratios[0]:.2f} {ratios[-1]:.2f} "
          f"{statistics.median(cpu[0]):.3f} {statistics.median(cpu[1]):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
