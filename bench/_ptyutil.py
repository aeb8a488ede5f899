"""Shared pseudo-terminal plumbing for the bench helpers (standard library only).

A command is forked on a fresh pty of a given size; its output is read as it comes, and
ANSI sequences are stripped before text is matched, so colours and cursor moves never
split a word the helpers wait for.
"""
import errno
import fcntl
import argparse
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time


def exit_on_sigterm():
    """Turn SIGTERM into SystemExit so `finally` blocks run and the pty child is killed."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

ANSI = re.compile(
    rb"\x1b\[[0-?]*[ -/]*[@-~]"          # CSI: colours, cursor moves, erase
    rb"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC: titles, hyperlinks
    rb"|\x1b[PX^_][^\x1b]*\x1b\\"          # DCS/SOS/PM/APC strings
    rb"|\x1b[@-Z\\-_]"                    # other two-byte escapes
    rb"|\x1b[()][0-9A-Za-z]"              # charset selection
)


def strip_ansi(data: bytes) -> str:
    return ANSI.sub(b"", data).decode("utf-8", errors="ignore")


def bench_env(extra=None):
    """The caller's env without CI markers (Ink would draw only the last frame)."""
    env = dict(os.environ)
    for key in ("CI", "CONTINUOUS_INTEGRATION"):
        env.pop(key, None)
    env.setdefault("TERM", "xterm-256color")
    # Scopes are default-deny; the benches abort, so the operator may.
    env.setdefault("OPSCOCKPIT_ALLOW_SCOPES", "deploy:abort")
    if extra:
        env.update(extra)
    return env


class PtyChild:
    """A command running on its own pty; `buf` holds the raw output since the last mark()."""

    def __init__(self, argv, cols=120, rows=40, env=None):
        self.buf = bytearray()
        self.first_data_us = None
        self.closed = False  # the pty reached EOF (the child and its group are gone)
        self.status = None
        self.started_ns = time.perf_counter_ns()
        pid, fd = pty.fork()
        if pid == 0:  # child: size the terminal before the program can ask for it
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
                os.execvpe(argv[0], argv, env if env is not None else bench_env())
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd

    def mark(self):
        self.buf.clear()
        self.first_data_us = None  # wall clock (µs) of the first byte read after this mark

    def text(self) -> str:
        return strip_ansi(bytes(self.buf))

    def pump(self, timeout_s: float) -> bool:
        """Read whatever arrives within timeout_s. Returns False once the pty is closed."""
        if self.closed:
            time.sleep(timeout_s)
            return False
        ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout_s))
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 1 << 16)
        except OSError as e:  # Linux reports EIO on the master once the slave side is gone
            if e.errno != errno.EIO:
                raise
            chunk = b""
        if not chunk:
            self.closed = True
            return False
        if not self.buf:
            self.first_data_us = time.time_ns() // 1000
        self.buf += chunk
        return True

    def wait_text(self, predicate, timeout_s: float, poll_s: float = 0.005):
        """Pump until predicate(stripped text since mark) is true; returns perf_counter_ns or None."""
        deadline = time.monotonic() + timeout_s
        while True:
            if predicate(self.text()):
                return time.perf_counter_ns()
            left = deadline - time.monotonic()
            if left <= 0 or self.closed:
                return None
            self.pump(min(poll_s, left))

    def send(self, data: bytes):
        os.write(self.fd, data)

    def reap(self, block=False):
        if self.status is not None:
            return self.status
        try:
            pid, status = os.waitpid(self.pid, 0 if block else os.WNOHANG)
        except ChildProcessError:
            self.status = -1
            return self.status
        if pid == self.pid:
            self.status = os.waitstatus_to_exitcode(status)
        return self.status

    def wait_exit(self, timeout_s: float):
        """Drain output until the child exits; returns perf_counter_ns at exit or None on timeout."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.reap() is not None:
                return time.perf_counter_ns()
            if self.closed:  # output closed: the exit is imminent, poll finely
                time.sleep(0.0002)
            else:
                self.pump(0.005)
        return None

    def kill(self):
        if self.reap() is not None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                break
            if self.wait_exit(1.0) is not None:
                break
        self.reap(block=True)

    def quit(self, tries=5):
        """Press q until the cockpit exits (up to `tries` seconds); a warning when it had to be killed."""
        for _ in range(tries):
            self.send(b"q")
            if self.wait_exit(1.0) is not None:
                return None
        if self.reap() is None:
            self.kill()
            return "the cockpit did not quit on q; killed"
        return None

    def close(self):
        self.kill()
        try:
            os.close(self.fd)
        except OSError:
            pass



def parse_pty_args(ap):
    """Adds the options every pty helper shares, parses, and returns (args, command)."""
    ap.add_argument("--cols", type=int, default=120)
    ap.add_argument("--rows", type=int, default=40)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    exit_on_sigterm()
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    if not cmd:
        ap.error("missing command")
    return a, cmd
