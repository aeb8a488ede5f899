#!/usr/bin/env python3
"""Abort key -> abort script spawned, driving the real cockpit on a pseudo-terminal.

  pty_abort.py --marks FILE [--count 40] [--settle 2] [--cols 120] [--rows 40] -- CMD...

The runbook's abort script appends $EPOCHREALTIME (wall clock, microseconds) to FILE as its
first act. For each sample: press "a", wait for the typed confirmation dialog, type "abort",
wait until it is echoed, take the wall clock, press Enter, and wait for FILE to gain a line.
latency = mark - time before Enter (same machine, same clock). Then wait for SUCCEEDED and
a short random pause before the next sample, so presses do not phase-lock with the polling.

Prints one JSON object: {"ok", "latency_us": [...], "redraw_us": [...], "marks": n, ...}.
redraw_us is Enter -> the first frame without the dialog (a diagnostic, not the figure).
"""
import argparse
import json
import os
import random
import sys
import time

from _ptyutil import PtyChild, bench_env, parse_pty_args

TITLES = ("Ready", "Canary", "Gate", "Ledger", "Checklist")


def now_us() -> int:
    return time.time_ns() // 1000


def read_marks(path):
    try:
        with open(path, "r", encoding="utf-8") as f:
            lines = [l.strip() for l in f if l.strip()]
    except FileNotFoundError:
        return []
    # $EPOCHREALTIME uses the locale's decimal separator.
    return [int(round(float(l.replace(",", ".")) * 1e6)) for l in lines]


def file_size(path):
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--marks", required=True)
    ap.add_argument("--count", type=int, default=40)
    ap.add_argument("--settle", type=float, default=2.0, help="seconds of polling before the first sample")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--deadline", type=float, default=100.0, help="give up (cleanly) after this many seconds")
    a, cmd = parse_pty_args(ap)
    rnd = random.Random(a.seed)

    result = {"ok": False, "latency_us": [], "redraw_us": [], "retries": 0}
    child = PtyChild(cmd, cols=a.cols, rows=a.rows, env=bench_env())

    def fail(msg):
        result["error"] = msg
        result["last_output"] = child.text()[-800:]
        return 0

    try:
        if child.wait_text(lambda t: all(x in t for x in TITLES), 20.0) is None:
            return fail("the cockpit drew no full frame within 20 s")
        result["first_frame_ms"] = (time.perf_counter_ns() - child.started_ns) / 1e6
        settle_end = time.monotonic() + a.settle
        while time.monotonic() < settle_end:
            child.pump(0.01)
            child.mark()  # keep the buffer small

        give_up = time.monotonic() + a.deadline
        for i in range(a.count):
            if time.monotonic() > give_up:
                return fail(f"only {i} of {a.count} samples within {a.deadline} s")
            # 1. Open the confirmation. If the previous action were still running the cockpit
            #    would refuse (flash) instead of opening it: wait and press again.
            for attempt in range(6):
                child.mark()
                child.send(b"a")
                if child.wait_text(lambda t: "Type abort" in t, 2.0) is not None:
                    break
                result["retries"] += 1
            else:
                return fail(f"sample {i}: pressing a did not open the confirmation dialog")
            # 2. Type the confirmation word and wait until the dialog shows it.
            child.mark()
            child.send(b"abort")
            if child.wait_text(lambda t: "> abort" in t, 2.0) is None:
                return fail(f"sample {i}: the dialog did not echo the typed word")
            before_size = file_size(a.marks)
            before = len(read_marks(a.marks))
            child.pump(0.0)
            child.mark()
            # 3. Enter, and wait for the script's mark. Meanwhile note when the first frame
            #    without the dialog arrives (the Ledger panel takes its place again).
            sent = now_us()
            child.send(b"\r")
            closed_at = None
            deadline = time.monotonic() + 10.0
            while file_size(a.marks) == before_size or closed_at is None:
                if time.monotonic() > deadline:
                    what = "no abort script mark" if file_size(a.marks) == before_size else "the dialog did not close"
                    return fail(f"sample {i}: {what} within 10 s of Enter")
                child.pump(0.001)
                if closed_at is None and "Ledger" in child.text():
                    closed_at = now_us()
            marks = read_marks(a.marks)
            if len(marks) != before + 1:
                return fail(f"sample {i}: expected {before + 1} marks, found {len(marks)}")
            result["latency_us"].append(marks[-1] - sent)
            result["redraw_us"].append(closed_at - sent)
            # 4. Let the action finish (its pane says SUCCEEDED), then pause a little.
            if child.wait_text(lambda t: "SUCCEEDED" in t, 10.0) is None:
                return fail(f"sample {i}: the abort action did not report SUCCEEDED")
            pause_end = time.monotonic() + rnd.uniform(0.15, 0.35)
            while time.monotonic() < pause_end:
                child.pump(0.01)
            child.mark()

        result["marks"] = len(read_marks(a.marks))
        result["ok"] = True
        warning = child.quit()
        if warning:
            result["warning"] = warning
        return 0
    finally:
        child.close()
        result["exit"] = child.status
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())
