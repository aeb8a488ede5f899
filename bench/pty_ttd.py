#!/usr/bin/env python3
"""Time to detect: a fault injected in the fixture target -> NO-GO on the cockpit's screen.

  pty_ttd.py --url FIXTURE_URL [--count 12] [--interval 1.0] [--cols 120] [--rows 40] -- CMD...

CMD opens a runbook whose only blocking preflight step is an http check of /readyz polled
every second. Once the Gate says GO, each round: pause a random 0-1000 ms (so the fault lands
at a random phase of the poll), take time.monotonic_ns(), POST {"route": "/readyz",
"status": 503} to FIXTURE_URL/__fault, and wait for the Gate headline "NO-GO — N reason(s)"
(detection time = screen - clock before the POST). Then DELETE the fault and wait for GO
before the next round.

Baseline, measured against the very same faults: a bare poller thread in this process that
GETs /readyz every --interval seconds (fixed rate, urllib, no proxy); its detection time is
the first 503 answer after the same clock reading. Before each round both detectors must
have seen the target healthy again, so neither carries a stale failure into the next round.

Prints one JSON object: {"ok", "cockpit_us": [...], "baseline_us": [...], ...}.
"""
import argparse
import json
import random
import re
import sys
import threading
import time
import urllib.error
import urllib.request

from _ptyutil import PtyChild, bench_env, parse_pty_args

TITLES = ("Ready", "Canary", "Gate", "Ledger", "Checklist")
FAULT = {"route": "/readyz", "status": 503}
# The Gate panel's headline (screens/GatePanel.tsx). "GO" alone is a substring of "NO-GO",
# so each verdict is matched by its whole headline, and GO must not follow "NO-".
NO_GO = re.compile(r"(?<![\w-])NO-GO — \d+ reasons?")
GO = re.compile(r"(?<![\w-])GO — every blocking check is healthy")

# Loopback only: never route the fixture through an http_proxy from the environment.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http(method, url, body=None, timeout=5.0):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"} if data else {})
    try:
        with OPENER.open(req, timeout=timeout) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        e.read()
        return e.code


class BarePoller(threading.Thread):
    """GET /readyz at a fixed rate; report the first 503 after a fault's start clock."""

    def __init__(self, url, interval):
        super().__init__(daemon=True)
        self.url = url
        self.interval = interval
        self.lock = threading.Lock()
        self.fault_t0 = None  # monotonic_ns before the fault's POST, while a round is open
        self.detected_ns = None  # monotonic_ns when the first 503 of the round came back
        self.healthy_since = None  # monotonic_ns at the start of the last GET that got a 200
        self.error = None
        self.stopping = threading.Event()

    def run(self):
        next_at = time.monotonic()
        while not self.stopping.is_set():
            started = time.monotonic_ns()
            try:
                status = http("GET", self.url + "/readyz", timeout=2.0)
            except Exception as e:  # noqa: BLE001 - reported to the main thread
                self.error = f"baseline GET failed: {e}"
                return
            done = time.monotonic_ns()
            with self.lock:
                if status == 503 and self.fault_t0 is not None and self.detected_ns is None:
                    self.detected_ns = done
                if status == 200:
                    self.healthy_since = started
            next_at += self.interval
            delay = next_at - time.monotonic()
            if delay < 0:  # overran (should not happen on loopback): keep the rate, skip ticks
                next_at = time.monotonic()
                delay = 0
            self.stopping.wait(delay)

    def open_round(self, t0):
        with self.lock:
            self.fault_t0, self.detected_ns = t0, None

    def close_round(self):
        with self.lock:
            self.fault_t0 = None

    def detected(self):
        with self.lock:
            return self.detected_ns


def wait_screen(child, pattern, timeout):
    """Pump until the text since the last mark() matches; monotonic_ns then, or None."""
    end = time.monotonic() + timeout
    seen = -1
    while True:
        if len(child.buf) != seen:  # strip and search only when output arrived
            seen = len(child.buf)
            if pattern.search(child.text()):
                return time.monotonic_ns()
        left = end - time.monotonic()
        if left <= 0 or child.closed:
            return None
        child.pump(min(0.05, left))  # select() wakes at once when output arrives


def pump_for(child, seconds):
    """Keep draining the pty (a full pty would stall the cockpit) for `seconds`."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        child.pump(min(0.005, left))


class Failed(Exception):
    pass


def measure(a, url, child, poller, result):
    def until(cond, what):
        end = time.monotonic() + a.timeout
        while not cond():
            if poller.error:
                raise Failed(poller.error)
            if time.monotonic() > end:
                raise Failed(f"{what} within {a.timeout} s")
            pump_for(child, 0.005)

    rnd = random.Random(a.seed)
    # Start clean: no fault left over from an earlier run against this server.
    http("DELETE", url + "/__fault")
    if child.wait_text(lambda t: all(x in t for x in TITLES), 20.0) is None:
        raise Failed("the cockpit drew no full frame within 20 s")
    result["first_frame_ms"] = (time.perf_counter_ns() - child.started_ns) / 1e6
    if wait_screen(child, GO, a.timeout) is None:
        raise Failed(f"the Gate did not say GO within {a.timeout} s of the first frame")
    poller.start()
    until(lambda: poller.healthy_since is not None, "the bare poller saw no 200")

    give_up = time.monotonic() + a.deadline
    for i in range(a.count):
        if time.monotonic() > give_up:
            raise Failed(f"only {i} of {a.count} rounds within {a.deadline} s")
        # 1. A random phase, then the fault; the clock is read right before the POST.
        offset = rnd.uniform(0.0, 1.0)
        pump_for(child, offset)
        child.pump(0.0)
        child.mark()
        t0 = time.monotonic_ns()
        poller.open_round(t0)
        status = http("POST", url + "/__fault", FAULT)
        if status != 200:
            raise Failed(f"round {i}: POST /__fault answered {status}")
        # 2. Detection on the screen, and by the bare poller.
        seen = wait_screen(child, NO_GO, a.timeout)
        if seen is None:
            raise Failed(f"round {i}: no NO-GO on the screen within {a.timeout} s of the fault")
        until(lambda: poller.detected() is not None, f"round {i}: the bare poller saw no 503")
        result["cockpit_us"].append((seen - t0) // 1000)
        result["baseline_us"].append((poller.detected() - t0) // 1000)
        result["offsets_ms"].append(round(offset * 1000))
        # 3. Restore; the cockpit must say GO again, and the bare poller get a 200 from a
        #    GET started after the restore, before the next round.
        child.pump(0.0)
        child.mark()
        poller.close_round()
        status = http("DELETE", url + "/__fault")
        if status != 200:
            raise Failed(f"round {i}: DELETE /__fault answered {status}")
        cleared = time.monotonic_ns()
        back = wait_screen(child, GO, a.timeout)
        if back is None:
            raise Failed(f"round {i}: the Gate did not return to GO within {a.timeout} s of the restore")
        result["recover_us"].append((back - cleared) // 1000)
        until(lambda: (poller.healthy_since or 0) >= cleared, f"round {i}: the bare poller saw no 200 after the restore")
        child.mark()

    result["ok"] = True
    warning = child.quit()
    if warning:
        result["warning"] = warning


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True, help="fixture server base URL")
    ap.add_argument("--count", type=int, default=12)
    ap.add_argument("--interval", type=float, default=1.0, help="the baseline poller's period, s")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=10.0, help="per wait, s")
    ap.add_argument("--deadline", type=float, default=80.0, help="give up (cleanly) after this many seconds")
    a, cmd = parse_pty_args(ap)
    url = a.url.rstrip("/")

    result = {"ok": False, "cockpit_us": [], "baseline_us": [], "recover_us": [], "offsets_ms": []}
    poller = BarePoller(url, a.interval)
    child = PtyChild(cmd, cols=a.cols, rows=a.rows, env=bench_env())
    try:
        measure(a, url, child, poller, result)
    except (Failed, OSError) as e:  # OSError: urllib's URLError and socket timeouts too
        result["error"] = str(e) if isinstance(e, Failed) else f"the fixture server at {url}: {e}"
        result["last_output"] = child.text()[-800:]
    finally:
        poller.stopping.set()
        try:
            http("DELETE", url + "/__fault", timeout=2.0)
        except OSError:
            pass  # best effort; run.mjs stops the server anyway
        child.close()
        result["exit"] = child.status
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
