"""A scripted fake modem on a pseudo-terminal, for tests of the AT layer.

The responder owns the pty master and answers each ``\\r``-terminated command it reads
with the bytes its script gives. Tests open the slave path with real pyserial.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import tty
from collections.abc import Callable, Iterable, Mapping

# A reply is bytes written at once, or a sequence of bytes and float pauses (seconds)
# written piece by piece; None means no answer at all (a hung modem).
Reply = bytes | Iterable[bytes | float] | None
Script = Mapping[bytes, Reply] | Callable[[bytes], Reply]

DEFAULT_REPLY = b"\r\nERROR\r\n"


class PtyResponder:
    def __init__(self, script: Script | None = None, *, echo: bool = False) -> None:
        self.script: Script = script if script is not None else {b"AT": b"\r\nOK\r\n"}
        self.echo = echo
        self.received: list[bytes] = []
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        self._wake_r, self._wake_w = os.pipe()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="pty-responder", daemon=True)
        self._master_open = True

    def __enter__(self) -> PtyResponder:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._thread.start()

    def send(self, data: bytes) -> None:
        """Write bytes to the port now, as a modem's unsolicited output."""
        with self._lock:
            if self._master_open:
                os.write(self.master, data)

    def close_master(self) -> None:
        """The device vanishes (USB unplugged): the slave side gets EIO from now on."""
        with self._lock:
            if self._master_open:
                self._master_open = False
                os.close(self.master)
        os.write(self._wake_w, b"x")

    def stop(self) -> None:
        self._stop.set()
        os.write(self._wake_w, b"x")
        self._thread.join(timeout=5)
        with self._lock:
            if self._master_open:
                self._master_open = False
                os.close(self.master)
        for fd in (self._slave, self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)

    def commands(self) -> list[bytes]:
        with self._lock:
            return list(self.received)

    def _reply_for(self, cmd: bytes) -> Reply:
        if callable(self.script):
            return self.script(cmd)
        return self.script.get(cmd, DEFAULT_REPLY)

    def _run(self) -> None:
        pending = b""
        while not self._stop.is_set():
            with self._lock:
                if not self._master_open:
                    return
                master = self.master
            try:
                ready, _, _ = select.select([master, self._wake_r], [], [], 0.5)
            except (OSError, ValueError):
                return
            if self._wake_r in ready:
                with contextlib.suppress(OSError):
                    os.read(self._wake_r, 64)
                continue
            if not ready:
                continue
            try:
                data = os.read(master, 4096)
            except OSError:
                return
            pending += data
            while b"\r" in pending:
                cmd, pending = pending.split(b"\r", 1)
                cmd = cmd.strip(b"\n")
                with self._lock:
                    self.received.append(cmd)
                if self.echo:
                    self.send(cmd + b"\r")
                self._write_reply(self._reply_for(cmd))

    def _write_reply(self, reply: Reply) -> None:
        if reply is None:
            return
        if isinstance(reply, bytes):
            self.send(reply)
            return
        for piece in reply:
            if isinstance(piece, float):
                if self._stop.wait(piece):
                    return
            else:
                self.send(piece)
