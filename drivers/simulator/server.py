"""Serving a `SimulatedModem` on a pseudo-terminal or a TCP socket, plus the control socket.

Unplugging is modelled as a USB modem vanishing: the pty master is closed (the client's
reads and writes on the slave fail) or the TCP connection and listener are closed. A replug
opens a *new* pty — its path may differ, as a re-enumerated ttyUSB may — and moves the
``--link`` symlink to it; a TCP replug listens again on the same address.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import socketserver
import sys
import threading
import time
import tty
from collections.abc import Callable
from types import FrameType
from typing import Any

from drivers.simulator.modem import SimulatedModem
from drivers.simulator.scenario import ScenarioError, load_scenario
from drivers.simulator.state import STATE_FIELDS  # what {"get": …} answers

_IDLE = 0.1  # seconds between timeline checks when nothing is due
_CHUNK = 4096


class _Shuttle:
    """A background thread moving bytes between a transport and the modem, on time."""

    def __init__(self, modem: SimulatedModem, lock: threading.RLock | None = None) -> None:
        self.modem = modem
        self.lock = lock or threading.RLock()
        self._stop = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._thread: threading.Thread | None = None
        self._generation = modem.generation
        self._open = False

    # transport hooks
    def _open_transport(self) -> None:
        raise NotImplementedError

    def _close_transport(self) -> None:
        raise NotImplementedError

    def _read_fds(self) -> list[int]:
        raise NotImplementedError

    def _readable(self, fd: int) -> None:
        raise NotImplementedError

    def _send(self, data: bytes) -> None:
        raise NotImplementedError

    @property
    def port(self) -> str:
        raise NotImplementedError

    @property
    def serving(self) -> int | None:
        """The modem generation the open transport belongs to; None while unplugged."""
        return self._generation if self._open else None

    def start(self) -> str:
        """Open the transport and start serving; returns the port (path or URL)."""
        with self.lock:
            self._open_transport()
            self._open = True
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)
        self._thread.start()
        return self.port

    def stop(self) -> None:
        self._stop.set()
        self.wake()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self.lock:
            if self._open:
                self._close_transport()
                self._open = False
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)

    def wake(self) -> None:
        """Make the loop look at the modem now (after a control-socket change)."""
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")

    def _follow_presence(self) -> None:
        modem = self.modem
        if self._open and (not modem.present or modem.generation != self._generation):
            self._close_transport()
            self._open = False
        if not self._open and modem.present:
            self._open_transport()
            self._generation = modem.generation
            self._open = True

    def _run(self) -> None:
        while not self._stop.is_set():
            with self.lock:
                self.modem.tick()
                self._follow_presence()
                out = self.modem.read_output()
                due = self.modem.next_due()
                fds = self._read_fds() if self._open else []
            if out:
                self._send(out)
            timeout = _IDLE if due is None else min(_IDLE, max(0.0, due - time.monotonic()))
            try:
                ready, _, _ = select.select([self._wake_r, *fds], [], [], timeout)
            except (OSError, ValueError):
                continue  # an fd was closed under us by an unplug; look again
            for fd in ready:
                if fd == self._wake_r:
                    with contextlib.suppress(OSError):
                        os.read(self._wake_r, _CHUNK)
                else:
                    with self.lock:
                        if self._open and fd in self._read_fds():
                            self._readable(fd)


class PtySimulator(_Shuttle):
    """The modem on a new pseudo-terminal; `port` is the slave's path (or `link`)."""

    def __init__(
        self, modem: SimulatedModem, link: str | None = None, lock: threading.RLock | None = None
    ) -> None:
        super().__init__(modem, lock)
        self.link = link
        self._master = -1
        self._slave = -1
        self._path = ""

    @property
    def port(self) -> str:
        return self.link or self._path

    @property
    def device(self) -> str:
        """The current pty slave path (changes at a replug)."""
        return self._path

    def _open_transport(self) -> None:
        self._master, self._slave = os.openpty()
        # Raw line discipline: no echo of the modem's own output, no CR/LF translation.
        tty.setraw(self._slave)
        tty.setraw(self._master)
        os.set_blocking(self._master, False)
        self._path = os.ttyname(self._slave)
        if self.link:
            tmp = f"{self.link}.{os.getpid()}.tmp"
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            os.symlink(self._path, tmp)
            os.replace(tmp, self.link)

    def _close_transport(self) -> None:
        # Closing both ends frees the pty: the client's fd sees a hang-up, as after a USB unplug.
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._master = self._slave = -1
        if self.link:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.link)

    def _read_fds(self) -> list[int]:
        return [self._master]

    def _readable(self, fd: int) -> None:
        try:
            data = os.read(self._master, _CHUNK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            return  # EIO: no process has the slave open right now
        if data:
            self.modem.feed(data)

    def _send(self, data: bytes) -> None:
        with self.lock:
            if not self._open:
                return
            # Nobody reading and the tty buffer full: the bytes are lost, as on a real line.
            with contextlib.suppress(OSError):
                os.write(self._master, data)


class TcpSimulator(_Shuttle):
    """The modem on a TCP socket, one client at a time (``socket://HOST:PORT``)."""

    def __init__(
        self,
        modem: SimulatedModem,
        host: str = "127.0.0.1",
        port: int = 0,
        lock: threading.RLock | None = None,
    ) -> None:
        super().__init__(modem, lock)
        self.host = host
        self._port = port
        self._listener: socket.socket | None = None
        self._client: socket.socket | None = None

    @property
    def port(self) -> str:
        return f"socket://{self.host}:{self._port}"

    def _open_transport(self) -> None:
        listener = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self._port))
        listener.listen(1)
        listener.setblocking(False)
        self._port = listener.getsockname()[1]  # port 0: keep the one chosen, for replugs
        self._listener = listener

    def _close_transport(self) -> None:
        self._drop_client()
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def _drop_client(self) -> None:
        if self._client is not None:
            with contextlib.suppress(OSError):
                self._client.shutdown(socket.SHUT_RDWR)
            self._client.close()
            self._client = None

    def _client_gone(self) -> bool:
        """True if the current client hung up but its EOF has not been read yet."""
        assert self._client is not None
        try:
            return self._client.recv(1, socket.MSG_PEEK) == b""
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            return True

    def _read_fds(self) -> list[int]:
        fds = [self._listener.fileno()] if self._listener is not None else []
        if self._client is not None:
            fds.append(self._client.fileno())
        return fds

    def _readable(self, fd: int) -> None:
        if self._listener is not None and fd == self._listener.fileno():
            try:
                conn, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            if self._client is not None and self._client_gone():
                self._drop_client()
            if self._client is not None:
                conn.close()  # one client at a time, as one serial port has one user
                return
            conn.setblocking(False)
            self._client = conn
            return
        if self._client is None:
            return
        try:
            data = self._client.recv(_CHUNK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._drop_client()
            return
        self.modem.feed(data)

    def _send(self, data: bytes) -> None:
        with self.lock:
            if self._client is None:
                return
            try:
                self._client.sendall(data)
            except BlockingIOError:
                pass
            except OSError:
                self._drop_client()


class ControlServer:
    """A UNIX socket taking one JSON object per line; answers ``ok`` or ``error: why``."""

    def __init__(
        self,
        path: str,
        modem: SimulatedModem,
        lock: threading.RLock,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.path = path
        self.modem = modem
        self.lock = lock
        self.on_change = on_change
        self._server: socketserver.ThreadingUnixStreamServer | None = None
        self._thread: threading.Thread | None = None

    def handle_line(self, line: str) -> str:
        """The answer to one request line (without the newline)."""
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            return f"error: not JSON: {err.msg} at column {err.colno}"
        if not isinstance(obj, dict):
            return "error: expected a JSON object"
        if "at" in obj:
            return "error: at: not accepted here (changes apply at once)"
        if "get" in obj:
            return self._get(obj)
        try:
            with self.lock:
                self.modem.apply(obj)
        except ValueError as err:
            return f"error: {err}"
        if self.on_change is not None:
            self.on_change()
        return "ok"

    def _get(self, obj: dict[str, Any]) -> str:
        """``{"get": KEY}`` or ``{"get": [KEY, …]}``: the state keys' values as one JSON
        object (what the host sent with AT+CMGS is in ``sent_sms``)."""
        if len(obj) != 1:
            return "error: get: ask on a line of its own"
        keys = obj["get"] if isinstance(obj["get"], list) else [obj["get"]]
        unknown = [k for k in keys if not isinstance(k, str) or k not in STATE_FIELDS]
        if unknown or not keys:
            return f"error: get: not a state key: {unknown or keys}"
        with self.lock:
            rx, tx = self.modem.counters()  # the state's copy is from the last change
            live = {"rx_bytes": rx, "tx_bytes": tx}
            values = {key: live.get(key, getattr(self.modem.state, key, None)) for key in keys}
        return json.dumps(values, ensure_ascii=False, default=list)

    def start(self) -> None:
        control = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                for raw in self.rfile:
                    line = raw.decode("utf-8", "replace").strip()
                    if not line:
                        continue
                    self.wfile.write((control.handle_line(line) + "\n").encode())
                    self.wfile.flush()

        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        server = socketserver.ThreadingUnixStreamServer(self.path, Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


def parse_hostport(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:7000`` for IPv6) → (host, port); ValueError if malformed."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def serve(
    vendor: str,
    scenario_path: str | None,
    link: str | None,
    tcp: str | None,
    control: str | None,
) -> int:
    """`posagent simulate`: serve until SIGINT/SIGTERM, after printing ``port: …`` once.
    Returns 0 on a signal, 2 if the simulator cannot start (message on stderr)."""
    try:
        scenario = load_scenario(scenario_path) if scenario_path else None
        modem = SimulatedModem(vendor, scenario)
        if tcp and link:
            raise ValueError("--link makes a symlink to a pty; it does not apply to --tcp")
        address = parse_hostport(tcp) if tcp else None
    except (ScenarioError, ValueError) as err:
        print(f"posagent simulate: {err}", file=sys.stderr)
        return 2

    lock = threading.RLock()
    server: _Shuttle = (
        TcpSimulator(modem, *address, lock=lock) if address else PtySimulator(modem, link, lock)
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    controller: ControlServer | None = None
    try:
        try:
            port = server.start()
            if control:
                controller = ControlServer(control, modem, lock, on_change=server.wake)
                controller.start()
        except OSError as err:
            print(f"posagent simulate: {err}", file=sys.stderr)
            return 2
        print(f"port: {port}", flush=True)
        while not stop.wait(0.2):
            pass
        return 0
    finally:
        if controller is not None:
            controller.stop()
        server.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
