#!/usr/bin/env python3
"""Cold start on a real pseudo-terminal.

  pty_first_frame.py [--cols 120] [--rows 40] [--timeout 20] --until frame|exit -- CMD...

--until frame: nanoseconds from fork until the output (ANSI stripped) contains every panel
title of the cockpit; then sends "q" and waits for the exit (killing after --timeout).
--until exit: nanoseconds from fork until the command exits (the `node -e ''` baseline).

Prints one JSON object: {"ok": true, "ns": N, "exit": CODE} or {"ok": false, "error": ...}.
"""
import argparse
import json
import sys

from _ptyutil import PtyChild, bench_env, parse_pty_args

TITLES = ("Ready", "Canary", "Gate", "Ledger", "Checklist")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--until", choices=("frame", "exit"), required=True)
    a, cmd = parse_pty_args(ap)

    child = PtyChild(cmd, cols=a.cols, rows=a.rows, env=bench_env())
    result = {"ok": False}
    try:
        if a.until == "exit":
            done = child.wait_exit(a.timeout)
            if done is None:
                result["error"] = f"did not exit within {a.timeout} s"
            else:
                result.update(ok=True, ns=done - child.started_ns, exit=child.status)
            return 0

        frame = child.wait_text(lambda t: all(title in t for title in TITLES), a.timeout)
        if frame is None:
            missing = [t for t in TITLES if t not in child.text()]
            tail = child.text()[-600:]
            result["error"] = f"no full frame within {a.timeout} s (missing {missing}; exited={child.closed}); last output: {tail!r}"
            return 0
        result.update(ok=True, ns=frame - child.started_ns)
        # Quit the way an operator would; send "q" again if the first one landed too early.
        warning = child.quit(tries=max(1, int(a.timeout)))
        if warning:
            result["warning"] = warning
        result["exit"] = child.status
        return 0
    finally:
        child.close()
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())
