#!/usr/bin/env python3
"""Idle cost on a real pseudo-terminal: CPU and memory of a process left alone.

  pty_idle.py [--cols 120] [--rows 40] [--seconds 30] [--settle 2] [--timeout 30]
              --until frame|start -- CMD...

--until frame: waits until the output (ANSI stripped) contains every panel title of the
cockpit, then --settle seconds more (the first polls, the action runners warming up).
--until start: waits --settle seconds after the fork (the baseline's start-up is not idle).
Then, over --seconds: the process's own CPU ticks (utime + stime in /proc/PID/stat; children
not included), its resident memory at the end (VmRSS) and peak (VmHWM), and what it wrote
to the terminal meanwhile (bytes, and reads of the pty that brought something: about one a
frame). The output is drained all along, so the process never blocks on a full pty.

Also the same CPU time from the scheduler's nanosecond counters of the live threads (sched_s):
an idle baseline may not use a single 10 ms tick in the window, and a ratio needs a figure.

Prints one JSON object: {"ok": true, "cpu_s", "sched_s", "seconds", "rss_kb", "hwm_kb", "bytes",
"writes"} or {"ok": false, "error": ...}.
"""
import argparse
import json
import os
import sys
import time

from _ptyutil import PtyChild, bench_env, parse_pty_args

TITLES = ("Ready", "Canary", "Gate", "Ledger", "Checklist")
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        # The command name (field 2) may hold spaces: split after its closing parenthesis.
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime (fields 14, 15)


def cpu_ns(pid):
    """Time on a CPU of every live thread (/proc/PID/task/*/schedstat): finer than ticks."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass  # the thread ended meanwhile
    return total


def memory_kb(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--settle", type=float, default=2.0)
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--until", choices=("frame", "start"), required=True)
    ap.add_argument("--dump", help="write what the process drew in the window to this file")
    a, cmd = parse_pty_args(ap)

    child = PtyChild(cmd, cols=a.cols, rows=a.rows, env=bench_env())
    result = {"ok": False}
    try:
        if a.until == "frame":
            if child.wait_text(lambda t: all(title in t for title in TITLES), a.timeout) is None:
                missing = [t for t in TITLES if t not in child.text()]
                result["error"] = f"no full frame within {a.timeout} s (missing {missing}; exited={child.closed}); last output: {child.text()[-600:]!r}"
                return 0
        settle_end = time.monotonic() + a.settle
        while time.monotonic() < settle_end and child.pump(settle_end - time.monotonic()):
            pass
        if child.closed or child.reap() is not None:
            result["error"] = f"the process exited before the measurement; last output: {child.text()[-600:]!r}"
            return 0

        child.mark()
        writes = 0
        t0 = time.monotonic()
        cpu0 = cpu_seconds(child.pid)
        ns0 = cpu_ns(child.pid)
        end = t0 + a.seconds
        while time.monotonic() < end:
            before = len(child.buf)
            if not child.pump(end - time.monotonic()):
                break
            if len(child.buf) > before:
                writes += 1
        cpu1 = cpu_seconds(child.pid)
        ns1 = cpu_ns(child.pid)
        seconds = time.monotonic() - t0
        mem = memory_kb(child.pid)
        if child.closed:
            result["error"] = f"the process exited during the measurement; last output: {child.text()[-600:]!r}"
            return 0
        if a.dump:
            with open(a.dump, "wb") as f:
                f.write(bytes(child.buf))
        result.update(ok=True, cpu_s=cpu1 - cpu0, sched_s=(ns1 - ns0) / 1e9, seconds=seconds, rss_kb=mem.get("VmRSS"), hwm_kb=mem.get("VmHWM"), bytes=len(child.buf), writes=writes)
        if a.until == "frame":
            warning = child.quit(tries=5)
            if warning:
                result["warning"] = warning
        return 0
    finally:
        child.close()
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())
