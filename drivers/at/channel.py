"""The AT channel: one command, its response lines and its final result at a time."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator

import serial

from drivers.at.finals import FINAL_OK, FINAL_STARTS, classify, error_for
from drivers.at.framing import LineSplitter
from drivers.at.urc import DEFAULT_URC_PREFIXES, is_solicited, solicited_names
from drivers.errors import AtCommandError, AtTimeout, PortClosed
from drivers.logs import DEBUG, get_logger
from drivers.records import record

__all__ = ["DEFAULT_URC_PREFIXES", "AtChannel", "AtResponse"]

_log = get_logger("posagent.at")
_new = object.__new__

# Longest wait inside one read; bounds how far past its deadline an exchange can run.
READ_SLICE = 0.05
# Most bytes taken in one read, so one call cannot pull an unbounded burst into memory.
CHUNK = 4096
# Most information lines kept for one response (or URCs returned by one wait_urcs).
MAX_LINES = 512
# One re-sync attempt waits at most this long for OK to a bare AT.
RESYNC_TIMEOUT = 1.0
# Before a command the channel reads what arrived since the last exchange, so a line the
# modem sent while idle is not taken for part of the answer. A command sent within this
# long of an exchange that left the port drained skips that read (one syscall each, a
# sizeable part of a fast exchange): bytes arriving in so short a gap are read with the
# answer instead, where URCs are still told apart by their prefix.
BACK_TO_BACK = 0.0005
_NEVER = float("-inf")


@record
class AtResponse:
    command: str
    lines: tuple[str, ...]  # information lines only: no echo, URCs, blank lines or final
    final: str  # the final result line, e.g. "OK"
    elapsed: float  # seconds

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class AtChannel:
    """Sends AT commands over an open port and separates answers from URCs.

    Single-threaded: one exchange at a time. After a timeout the modem may still be
    answering the old command, so the channel re-syncs before the next one. Lines that
    arrive between exchanges are not part of the next answer: URCs go to on_urc, the rest
    is dropped (for commands sent back to back, see BACK_TO_BACK).
    """

    def __init__(
        self,
        port: serial.SerialBase,
        *,
        timeout: float = 5.0,
        urc_prefixes: Iterable[str] = DEFAULT_URC_PREFIXES,
        on_urc: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_line: int = 1024,
        name: str = "",
    ) -> None:
        self._port = port
        self._timeout = timeout
        self._urc: tuple[str, ...] = ()
        self._urc_by_head: dict[str, tuple[str, ...]] | None = None
        self._set_urc_prefixes(urc_prefixes)
        self._on_urc = on_urc
        self._collectors: list[tuple[Callable[[str], bool], list[str]]] = []
        self._clock = clock
        self._splitter = LineSplitter(max_line)
        self._name = name or str(getattr(port, "name", None) or getattr(port, "port", "") or "")
        self._dirty = False
        # When an exchange last ended with the port drained; _NEVER when unknown.
        self._drained_at = _NEVER
        # Bound once: the lazy proxy re-binds on every call, which costs more than the
        # exchange's own parsing. Logging is configured before ports are opened.
        self._xlog = _log.bind()
        is_enabled_for = getattr(self._xlog, "is_enabled_for", None)
        self._debug = is_enabled_for is None or bool(is_enabled_for(DEBUG))
        try:
            # pyserial reconfigures the tty on every timeout change, so set it once here.
            current = port.timeout
            if current is None or current <= 0 or current > READ_SLICE:
                port.timeout = READ_SLICE
        except (serial.SerialException, OSError) as exc:
            raise PortClosed(self._name, f"cannot configure port: {exc}") from exc

    # -- public -------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._name

    @property
    def port(self) -> serial.SerialBase:
        return self._port

    @property
    def dirty(self) -> bool:
        """True after a timeout until a re-sync succeeds."""
        return self._dirty

    @property
    def urc_prefixes(self) -> tuple[str, ...]:
        return self._urc

    @property
    def buffered(self) -> int:
        """Bytes held of an unfinished line (bounded by max_line)."""
        return self._splitter.pending

    def add_urc_prefixes(self, prefixes: Iterable[str]) -> None:
        self._set_urc_prefixes((*self._urc, *prefixes))

    def _set_urc_prefixes(self, prefixes: Iterable[str]) -> None:
        self._urc = tuple(dict.fromkeys(p for p in prefixes if p))
        # Prefixes by their three leading characters: one dict lookup rules out most
        # answer lines and leaves at most a few prefixes to test ("+CSQ: …" meets only
        # "+CSQN:"). Usable only while every prefix is at least that long.
        if all(len(p) >= 3 for p in self._urc):
            by_head: dict[str, tuple[str, ...]] = {}
            for prefix in self._urc:
                by_head[prefix[:3]] = (*by_head.get(prefix[:3], ()), prefix)
            self._urc_by_head = by_head
        else:
            self._urc_by_head = None

    def command(self, cmd: str, *, timeout: float | None = None) -> AtResponse:
        """Send `cmd` and return its response; error finals raise AtCommandError/CmeError/…"""
        cmd = cmd.rstrip("\r\n")
        if self._dirty and not self.resync(attempts=1):
            raise AtTimeout(cmd, self._resync_timeout())
        limit = self._timeout if timeout is None else timeout
        self._check_open()
        port = self._port
        splitter = self._splitter
        clock = self._clock
        urc = self._urc
        by_head = self._urc_by_head
        info: list[str] = []
        stale: list[str] | None = None
        leftover: list[str] | None = None
        echo_pending = True
        final = None
        start = clock()
        deadline = start + limit
        # The port is used directly here, not through _read(): this loop is the hot path.
        try:
            # _drained_at is only recent when the splitter holds nothing (see below) and
            # nothing else has read the port since.
            if start - self._drained_at > BACK_TO_BACK:
                stale = self._take_stale()
            self._drained_at = _NEVER  # until this exchange ends with the port drained
            port.write(cmd.encode() + b"\r")
            while True:
                # Take what is waiting in one read; otherwise read(1) sleeps in select() for
                # at most the port timeout. Asking in_waiting first is measurably faster on
                # a pty than reading one byte first.
                waiting = port.in_waiting
                if waiting:
                    data = port.read(waiting if waiting < CHUNK else CHUNK)
                else:
                    data = port.read(1)
                    if data:
                        # The byte that ended the wait usually heads a burst: take the rest
                        # now so the burst is split and scanned in one pass.
                        waiting = port.in_waiting
                        if waiting:
                            data += port.read(waiting if waiting < CHUNK else CHUNK)
                if data:
                    lines = splitter.feed(data, stale)
                    if stale:
                        for line in stale:
                            self._unsolicited(line)
                        stale.clear()
                    for line in lines:
                        if line == "OK":
                            final = FINAL_OK
                            break
                        if line.startswith(FINAL_STARTS):
                            final = classify(line)
                            if final is not None:
                                break
                        if (
                            echo_pending
                            and not info
                            and len(line) == len(cmd)
                            and line.upper() == cmd.upper()
                        ):
                            echo_pending = False
                        elif (
                            (candidates := urc if by_head is None else by_head.get(line[:3]))
                            and line.startswith(candidates)
                            and not is_solicited(line, solicited_names(cmd))
                        ):
                            self._emit(line)
                        elif len(info) < MAX_LINES:
                            info.append(line)
                    if final is not None:
                        if line is not lines[-1]:
                            # Lines after the final came in the same burst. An equal line
                            # earlier on would have been the final, so index() finds this one.
                            leftover = lines[lines.index(line) + 1 :]
                        break
                if clock() >= deadline:
                    break
        except serial.SerialTimeoutException as exc:
            self._dirty = True
            raise AtTimeout(cmd, limit) from exc
        except (serial.SerialException, OSError) as exc:
            raise PortClosed(self._name, f"port failed: {exc}") from exc
        if final is None:
            self._dirty = True
            _log.warning("at_timeout", command=cmd, timeout=limit, port=self._name)
            raise AtTimeout(cmd, limit, tuple(info))
        end = clock()
        if leftover:
            # More may be on its way right behind the final.
            for line in leftover:
                self._unsolicited(line)
        elif not splitter.pending:
            # The last read took all the port held: nothing is known to be pending.
            self._drained_at = end
        lines_t = tuple(info)
        elapsed = end - start
        if self._debug:
            self._xlog.debug(
                "at_exchange",
                command=cmd,
                final=final.line,
                lines=lines_t,
                elapsed_ms=round(elapsed * 1000.0, 3),
                port=self._name,
            )
        if final is not FINAL_OK and final.is_error:
            raise error_for(cmd, final, lines_t)
        # The frozen dataclass __init__ (object.__setattr__ per field) costs about as much
        # as parsing the whole response; filling __dict__ directly gives an equal instance.
        response = _new(AtResponse)
        fields = response.__dict__
        fields["command"] = cmd
        fields["lines"] = lines_t
        fields["final"] = final.line
        fields["elapsed"] = elapsed
        return response

    def initialize(self) -> None:
        """Re-sync, then ``ATE0`` and ``AT+CMEE=1`` (numeric errors; some firmwares refuse it)."""
        if not self.resync(quick=not self._dirty):
            raise AtTimeout("AT", self._resync_timeout())
        self.command("ATE0")
        try:
            self.command("AT+CMEE=1")
        except AtCommandError as exc:
            _log.debug("at_cmee_refused", error=str(exc), port=self._name)

    def resync(self, attempts: int = 3, *, quick: bool = False) -> bool:
        """Drain input, send ``AT`` and wait for ``OK``; True once the modem answers.

        ``quick`` (a port just opened, no command timed out on it): the first attempt takes
        only what is already waiting instead of waiting for the port to go quiet, and no
        late answer is waited for after the OK. Later attempts drain in full.
        """
        self._check_open()
        self._drained_at = _NEVER
        per_attempt = self._resync_timeout()
        clock = self._clock
        for attempt in range(max(1, attempts)):
            first_quick = quick and attempt == 0
            if first_quick:
                self._take_stale()
            else:
                self._drain(clock() + per_attempt)
            self._splitter.reset()
            try:
                self._write(b"AT\r")
            except AtTimeout:
                continue  # the write itself stalled; count it as a failed attempt
            deadline = clock() + per_attempt
            while clock() < deadline:
                data = self._read()
                if not data:
                    continue
                ok = False
                for line in self._splitter.feed(data):
                    ok = self._resync_line(line) or ok
                if ok:
                    # A late answer to the command that timed out may still be on its way;
                    # swallow it now rather than let it end the next exchange.
                    if not first_quick:
                        self._drain(clock() + per_attempt)
                    self._dirty = False
                    _log.debug("at_resync", ok=True, port=self._name)
                    return True
        self._dirty = True
        _log.warning("at_resync", ok=False, attempts=attempts, port=self._name)
        return False

    @contextlib.contextmanager
    def collecting_urcs(self, keep: Callable[[str], bool]) -> Iterator[list[str]]:
        """The URCs handed on while the block runs, those ``keep`` wants, in a list; they
        still reach ``on_urc``. A reply that arrives as a URC (``+CUSD``) may come in the
        same read as the command's ``OK`` and be handed on before `command` returns, where
        `wait_urcs` alone would miss it."""
        entry: tuple[Callable[[str], bool], list[str]] = (keep, [])
        self._collectors.append(entry)
        try:
            yield entry[1]
        finally:
            self._collectors.remove(entry)

    def emit_urc(self, line: str) -> None:
        """Hand on a URC that a caller reading the port itself (the SMS prompt) came across."""
        self._emit(line)

    def wait_urcs(self, timeout: float) -> list[str]:
        """Read the port up to `timeout` s with no command in flight; return the URCs seen.

        Every URC also goes to on_urc. Returns early once URCs have arrived and the port
        is quiet, so the caller can react to them at once.
        """
        self._check_open()
        self._drained_at = _NEVER  # it may stop in the middle of a burst
        clock = self._clock
        deadline = clock() + timeout
        urcs: list[str] = []
        while True:
            data = self._read()
            if data:
                for line in self._splitter.feed(data):
                    if self._unsolicited(line) and len(urcs) < MAX_LINES:
                        urcs.append(line)
            elif urcs:
                return urcs
            if clock() >= deadline:
                return urcs

    def close(self) -> None:
        try:
            self._port.close()
        except (serial.SerialException, OSError) as exc:
            _log.debug("port_close_failed", error=str(exc), port=self._name)

    def __enter__(self) -> AtChannel:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- internals ----------------------------------------------------------------------

    def _take_stale(self) -> list[str] | None:
        """Set apart input that arrived before a command: it is not part of the answer.

        Complete lines go to URC handling now. Returns a list for feed() to put the line
        completing an unfinished fragment in, or None when there is no fragment.
        """
        splitter = self._splitter
        port = self._port
        try:
            waiting = port.in_waiting
            data = port.read(min(waiting, CHUNK)) if waiting else b""
        except (serial.SerialException, OSError) as exc:
            raise PortClosed(self._name, f"read failed: {exc}") from exc
        for line in splitter.feed(data) if data else ():
            self._unsolicited(line)
        return [] if splitter.mark_stale() else None

    def _check_open(self) -> None:
        # pyserial fails on a closed port with TypeError (fd None) or PortNotOpenError.
        if not getattr(self._port, "is_open", True):
            raise PortClosed(self._name, "port is closed")

    def _resync_timeout(self) -> float:
        return min(self._timeout, RESYNC_TIMEOUT)

    def _read(self) -> bytes:
        port = self._port
        try:
            waiting = port.in_waiting
            return port.read(min(waiting, CHUNK)) if waiting else port.read(1)
        except (serial.SerialException, OSError) as exc:
            raise PortClosed(self._name, f"read failed: {exc}") from exc

    def _write(self, data: bytes) -> None:
        try:
            self._port.write(data)
        except serial.SerialTimeoutException as exc:
            self._dirty = True
            raise AtTimeout(data.decode(errors="replace").strip(), 0.0) from exc
        except (serial.SerialException, OSError) as exc:
            raise PortClosed(self._name, f"write failed: {exc}") from exc

    def _drain(self, limit: float) -> None:
        """Read until the port stays quiet for one read slice, or until `limit`."""
        clock = self._clock
        while True:
            data = self._read()
            if not data:
                return
            for line in self._splitter.feed(data):
                self._unsolicited(line)
            if clock() >= limit:
                return

    def _resync_line(self, line: str) -> bool:
        if line == "OK":
            return True
        if line != "AT":
            self._unsolicited(line)
        return False

    def _unsolicited(self, line: str) -> bool:
        if line.startswith(self._urc):
            self._emit(line)
            return True
        _log.debug("at_line_dropped", line=line[:80], port=self._name)
        return False

    def _emit(self, line: str) -> None:
        _log.debug("at_urc", line=line, port=self._name)
        for keep, seen in self._collectors:
            if keep(line):
                seen.append(line)
        if self._on_urc is not None:
            try:
                self._on_urc(line)
            except Exception:
                # A failing handler must not desynchronise the exchange in progress.
                _log.exception("urc_handler_failed", line=line, port=self._name)
