"""The simulated modem as pure protocol logic: bytes in, bytes out, time from an injected clock.

No I/O and no threads: a transport (pty, TCP, the in-process ``sim://`` port) calls `feed`
with what the host wrote, `tick` to let time pass, and `read_output` for what the modem
sends. `next_due` says when something will next happen, so a transport can sleep until then.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

from drivers.records import replace
from drivers.simulator.commands import CommandSyntaxError, parse_line
from drivers.simulator.profiles import get_profile
from drivers.simulator.profiles.base import CME_TEXT, AtError, InputHandler, Profile, require_sim
from drivers.simulator.profiles.generic import FAMILY_RATS, reg_urc
from drivers.simulator.scenario import Scenario
from drivers.simulator.state import (
    RX_SHARE,
    ModemState,
    Nvm,
    Settings,
    apply_state,
    validate_changes,
)

CR, LF, BS, DEL = 0x0D, 0x0A, 0x08, 0x7F
# Ends / abandons the text after a "> " prompt (27.005 §3.5.1 AT+CMGS).
CTRL_Z, ESC = 0x1A, 0x1B


class SimulatedModem:
    """A modem of the given vendor profile, in the state the scenario describes."""

    def __init__(
        self,
        profile: str = "generic",
        scenario: Scenario | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.profile: Profile = get_profile(profile)
        scenario = scenario or Scenario()
        self._clock = clock
        self._start = clock()
        self.state = ModemState()
        self.settings = Settings(cmee=self.profile.cmee_default)
        self.nvm = Nvm()
        self.present = True  # False while unplugged
        self.hung = False
        self.generation = 0  # +1 at every replug: a transport opens a new port
        self._anchor = self._start  # counters grow linearly from here
        self._base_rx = 0  # counters as last set ...
        self._base_tx = 0
        self._moved = 0.0  # ... plus bytes moved since then, up to the anchor
        self._autosave_next: float | None = None
        self._timeline = list(scenario.timeline)
        self._rng = random.Random(scenario.seed)
        self._out: list[tuple[float, int, bytes]] = []  # (due, seq, bytes), kept sorted
        self._seq = itertools.count()
        self._busy_until = self._start
        self._line = bytearray()
        self._last_line = "AT"
        self._in_command = False
        self._deferred: list[str] = []
        self._reset_after_command = False
        # Set while the modem waits for text after a "> " prompt (AT+CMGS).
        self._input: InputHandler | None = None
        self._input_text = bytearray()
        self._later: list[tuple[float, str]] = []  # URCs a command asked for, (delay, line)
        self._apply(dict(scenario.initial), self._start, quiet=True)

    # --- public interface ------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Accept bytes the host wrote. Echo is immediate; answers wait `latency` seconds."""
        now = self._advance()
        if not self.present or self.hung:
            return  # input swallowed
        echo = bytearray()
        for byte in data:
            if self.settings.echo:
                echo.append(byte)
            if self._input is not None:
                if byte in (CTRL_Z, ESC):
                    self._emit(bytes(echo), now)
                    echo.clear()
                    self._end_input(now, cancel=byte == ESC)
                else:
                    self._input_text.append(byte)
                continue
            if byte == CR:
                self._emit(bytes(echo), now)
                echo.clear()
                line = self._line.decode("latin-1")
                self._line.clear()
                self._command_line(line, now)
            elif byte == LF:
                continue  # S4 after S3: not part of the next command
            elif byte in (BS, DEL):
                del self._line[-1:]
            else:
                self._line.append(byte)
                # "A/" repeats the last command line at once, no CR needed (V.250 §6.2.2).
                if self._line.upper() == b"A/":
                    self._line.clear()
                    self._emit(bytes(echo), now)
                    echo.clear()
                    self._command_line(self._last_line, now, repeat=True)
        self._emit(bytes(echo), now)

    def read_output(self) -> bytes:
        """Everything the modem sends from now on that is due by now."""
        now = self._advance()
        cut = bisect.bisect_right(self._out, (now, math.inf, b""))
        ready, self._out = self._out[:cut], self._out[cut:]
        return b"".join(chunk for _, _, chunk in ready)

    def output_pending(self) -> bool:
        """True if `read_output` would return something now."""
        now = self._advance()
        return bool(self._out) and self._out[0][0] <= now

    def next_due(self) -> float | None:
        """Clock time of the next pending output or timeline event, None if nothing waits."""
        times = []
        if self._out:
            times.append(self._out[0][0])
        if self._timeline:
            times.append(self._start + self._timeline[0].at)
        return min(times) if times else None

    def tick(self) -> None:
        """Run the timeline (and counter auto-save) up to the clock's now."""
        self._advance()

    def apply(self, event: Mapping[str, Any]) -> None:
        """Apply a scenario event / control object (no `at`) now. Raises ValueError
        (state.EventError) with a readable message if it is invalid."""
        changes = validate_changes(event)
        now = self._advance()
        self._apply(changes, now)

    def counters(self) -> tuple[int, int]:
        """(rx_bytes, tx_bytes) now; unbounded ints."""
        return self._counters_at(self._advance())

    def set_counters(self, rx: int, tx: int) -> None:
        now = self._advance()
        self._reanchor(now)
        self._set_base(rx, tx)

    def set_state(self, **changes: Any) -> None:
        now = self._advance()
        self._apply(validate_changes(changes), now)

    def schedule_reset(self) -> None:
        self._reset_after_command = True

    def expect_input(self, handler: InputHandler) -> None:
        """Answer the current command with a "> " prompt; the text up to Ctrl-Z goes to
        `handler`, whose lines come back with the final result code."""
        self._input = handler
        self._input_text.clear()

    def urc_later(self, delay: float, line: str) -> None:
        """Send `line` unsolicited `delay` seconds after the current answer (or after now)."""
        if self._in_command:
            self._later.append((delay, line))
        elif self._running():
            self._emit(f"\r\n{line}\r\n".encode(), self._advance() + delay)

    def set_autosave(self, interval: int) -> None:
        now = self._advance()
        self.nvm.autosave_interval = interval
        self._autosave_next = now + interval if interval else None

    @property
    def started(self) -> float:
        return self._start

    # --- time ----------------------------------------------------------------------------

    def _advance(self) -> float:
        """Process timeline events and auto-saves due by now, in time order; return now."""
        now = self._clock()
        while True:
            t_event = self._start + self._timeline[0].at if self._timeline else math.inf
            t_save = self._autosave_next if self._autosave_next is not None else math.inf
            if min(t_event, t_save) > now:
                return now
            if t_save <= t_event:
                self._autosave(min(now, t_event))
            else:
                event = self._timeline.pop(0)
                self._apply(event.changes, max(t_event, self._anchor))

    def _autosave(self, until: float) -> None:
        assert self._autosave_next is not None
        interval = self.nvm.autosave_interval
        # Jump to the last save time before `until`: long gaps must not loop per interval.
        steps = math.floor((until - self._autosave_next) / interval)
        at = self._autosave_next + steps * interval
        if self._running():
            self.nvm.saved_rx, self.nvm.saved_tx = self._counters_at(max(at, self._anchor))
        self._autosave_next = at + interval

    def _running(self) -> bool:
        return self.present and not self.hung

    def _rate(self) -> float:
        """Bytes per second actually moving: none without power, SIM, radio or network."""
        if not self._running() or self.settings.cfun != 1 or self.state.sim != "ready":
            return 0.0
        if self.state.registration not in (1, 5, 6, 7, 9, 10):
            return 0.0
        return self.state.traffic_bps

    def _counters_at(self, t: float) -> tuple[int, int]:
        moved = self._moved + self._rate() * max(0.0, t - self._anchor)
        # Split whole bytes so that rx + tx always equals the bytes moved; the epsilon keeps
        # 999.9999999 (float time steps) from counting as 999.
        total = math.floor(moved + 1e-6)
        rx = min(total, math.floor(moved * RX_SHARE + 1e-6))
        return (self._base_rx + rx, self._base_tx + total - rx)

    def _reanchor(self, t: float) -> None:
        self._moved += self._rate() * max(0.0, t - self._anchor)
        self._anchor = max(t, self._anchor)
        self._sync_counters()

    def _set_base(self, rx: int, tx: int) -> None:
        self._base_rx, self._base_tx, self._moved = rx, tx, 0.0
        self._sync_counters()

    def _sync_counters(self) -> None:
        self.state.rx_bytes, self.state.tx_bytes = self._counters_at(self._anchor)

    # --- output ----------------------------------------------------------------------------

    def _emit(self, data: bytes, due: float) -> None:
        if data:
            bisect.insort(self._out, (due, next(self._seq), data))

    def _urc(self, lines: list[str], now: float) -> None:
        if not self._running():
            return
        if self._in_command:
            self._deferred.extend(lines)  # after the answer, as a real module sends them
            return
        for line in lines:
            self._emit(f"\r\n{line}\r\n".encode(), now)

    def _final_error(self, err: AtError) -> str:
        if err.cms is not None:
            return f"+CMS ERROR: {err.cms}"
        if err.cme is None or self.settings.cmee == 0:
            return "ERROR"
        if self.settings.cmee == 2:
            return f"+CME ERROR: {CME_TEXT.get(err.cme, err.cme)}"
        return f"+CME ERROR: {err.cme}"

    # --- commands --------------------------------------------------------------------------

    def _command_line(self, line: str, now: float, repeat: bool = False) -> None:
        start = line.upper().find("AT")
        if start < 0:
            return  # no command on this line: a modem ignores it
        line = line[start:]
        if not repeat:
            self._last_line = line
        self._reanchor(now)
        self._in_command = True
        try:
            answer = self._execute(line)
        finally:
            self._in_command = False
        due = max(now, self._busy_until) + self.state.latency
        self._busy_until = due
        self._emit(answer.encode(), due)
        deferred, self._deferred = self._deferred, []
        for urc in deferred:
            self._emit(f"\r\n{urc}\r\n".encode(), due)
        later, self._later = self._later, []
        for delay, urc in later:
            self._emit(f"\r\n{urc}\r\n".encode(), due + delay)
        if self._reset_after_command:
            self._reset_after_command = False
            self._power_cycle(due)

    def _execute(self, line: str) -> str:
        try:
            commands = parse_line(line)
        except CommandSyntaxError:
            return "\r\nERROR\r\n"
        parts = []
        for cmd in commands:
            handler = self.profile.handlers.get(cmd.name)
            try:
                if handler is None:
                    raise AtError(None)
                if cmd.name in self.profile.sim_commands and cmd.op != "=?":
                    require_sim(self)
                lines = handler(self, cmd)
                if self._input is not None:
                    # 27.005 §3.5.1: "<CR><LF>> " and no final result code until the text.
                    parts.append("\r\n> ")
                    return "".join(parts)
            except CommandSyntaxError:
                parts.append(f"\r\n{self._final_error(AtError(50))}\r\n")
                break
            except AtError as err:
                # One final result code for the whole line; the first failure ends it.
                parts.append(f"\r\n{self._final_error(err)}\r\n")
                break
            if lines:
                parts.append("\r\n" + "\r\n".join(lines) + "\r\n")
        else:
            parts.append("\r\nOK\r\n")
        return "".join(parts)

    def _end_input(self, now: float, *, cancel: bool) -> None:
        handler, self._input = self._input, None
        text = self._input_text.decode("latin-1")
        self._input_text.clear()
        assert handler is not None
        if cancel:
            answer = "\r\nOK\r\n"  # ESC: nothing is sent (27.005 §3.5.1)
        else:
            self._in_command = True
            try:
                lines = handler(self, text)
                body = "\r\n" + "\r\n".join(lines) + "\r\n" if lines else ""
                answer = body + "\r\nOK\r\n"
            except AtError as err:
                answer = f"\r\n{self._final_error(err)}\r\n"
            finally:
                self._in_command = False
        due = max(now, self._busy_until) + self.state.latency
        self._busy_until = due
        self._emit(answer.encode(), due)
        deferred, self._deferred = self._deferred, []
        for urc in deferred:
            self._emit(f"\r\n{urc}\r\n".encode(), due)

    # --- events and state changes ------------------------------------------------------------

    def _apply(self, changes: Mapping[str, Any], now: float, quiet: bool = False) -> None:
        self._reanchor(now)
        before = replace(self.state)
        reg_before = {f: reg_urc(self, f) for f in FAMILY_RATS if f in self.settings.reg_urc}
        if "rx_bytes" in changes or "tx_bytes" in changes:
            rx, tx = self._counters_at(now)
            self._set_base(changes.get("rx_bytes", rx), changes.get("tx_bytes", tx))
        if "echo" in changes:
            self.settings.echo = changes["echo"]
        if "cmee" in changes:
            self.settings.cmee = changes["cmee"]
        self.state = apply_state(self.state, changes)
        self._sync_counters()  # apply_state copied the raw keys
        if not quiet:
            self._state_urcs(before, reg_before, now)
        event = changes.get("event")
        if event is not None:
            self._event(event, changes, now)

    def _state_urcs(
        self, before: ModemState, reg_before: dict[str, str | None], now: float
    ) -> None:
        sim, old = self.state.sim, before.sim
        if old != "absent" and sim == "absent":
            self._urc(self.profile.sim_removed_urcs(self), now)
        elif old == "absent" and sim != "absent":
            self._urc(self.profile.sim_inserted_urcs(self), now)
        elif sim != "absent" and self.state.iccid != before.iccid:
            # A hot swap: the old card goes, the new one initialises.
            self._urc(self.profile.sim_removed_urcs(self), now)
            self._urc(self.profile.sim_inserted_urcs(self), now)
        elif sim != old:
            self._urc(["+CPIN: READY" if sim == "ready" else "+CPIN: SIM PIN"], now)
        for family, line in reg_before.items():
            new = reg_urc(self, family)
            if new is not None and new != line:
                self._urc([new], now)

    def _event(self, event: str, changes: Mapping[str, Any], now: float) -> None:
        if event == "reset":
            self.hung = False
            self._power_cycle(now)
        elif event == "unplug":
            self._reanchor(now)
            self.present = False
            self._drop_io()
        elif event == "replug":
            self.present, self.hung = True, False
            self.generation += 1
            self._drop_io()
            self._power_cycle(now)
        elif event == "hang":
            self._reanchor(now)
            self.hung = True
            self._drop_io()
        elif event == "garbage" and self._running():
            self._emit(self._rng.randbytes(changes["bytes"]), now)
        elif event == "urc":
            self._urc([changes["line"]], now)
        elif event == "sms":
            from drivers.simulator.profiles import messaging

            self._urc(messaging.receive(self, changes["message"]), now)

    def _drop_io(self) -> None:
        self._out.clear()
        self._line.clear()
        self._input = None
        self._input_text.clear()

    def _power_cycle(self, now: float) -> None:
        """Boot: settings back to defaults, counters as the vendor keeps them, boot URCs."""
        self._reanchor(now)
        at_power_off = (self.state.rx_bytes, self.state.tx_bytes)
        self._input = None  # a prompt does not survive a reboot
        self.settings = Settings(cmee=self.profile.cmee_default)
        self._set_base(*self.profile.counters_after_boot(self.nvm, at_power_off))
        self._busy_until = max(self._busy_until, now)
        interval = self.nvm.autosave_interval
        self._autosave_next = now + interval if interval else None
        self._urc(self.profile.boot_urcs(self), now)
