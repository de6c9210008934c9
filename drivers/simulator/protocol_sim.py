"""pyserial URL handler for ``sim://VENDOR[?scenario=FILE&latency=SECONDS]``.

`serial.serial_for_url` imports ``<package>.protocol_<scheme>`` from each package in
``serial.protocol_handler_packages`` (see `drivers.simulator.register`) and uses its `Serial`.
The simulated modem runs on the caller's thread: output is computed when read, and a read
blocks (in real time) up to the port timeout, like a real tty.

Extra keyword arguments, for tests: ``clock=`` (the modem's clock) and ``modem=`` (a
ready-made `SimulatedModem`, the URL's vendor is then ignored).

Unplugging (scenario or ``port.modem.apply({"event": "unplug"})``) makes every read and write
raise `serial.SerialException`, as a vanished USB tty does, until the port is closed; reopening
the same object after a replug reaches the same modem (state kept). A new `serial_for_url`
call starts a new modem.
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable
from typing import Any

from serial.serialutil import PortNotOpenError, SerialBase, SerialException

from drivers.simulator.modem import SimulatedModem
from drivers.simulator.scenario import ScenarioError, load_scenario

URL_FORM = "sim://VENDOR[?scenario=FILE&latency=SECONDS]"
_MAX_SLEEP = 0.02


def parse_url(url: str) -> tuple[str, str | None, float | None]:
    """(vendor, scenario path, latency) from a ``sim://`` URL; ValueError if malformed."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() != "sim":
        raise ValueError(f"expected {URL_FORM}, got {url!r}")
    vendor = (parts.netloc or parts.path.strip("/") or "generic").lower()
    scenario: str | None = None
    latency: float | None = None
    for key, values in urllib.parse.parse_qs(parts.query, keep_blank_values=True).items():
        if key == "scenario":
            scenario = values[-1]
        elif key == "latency":
            try:
                latency = float(values[-1])
            except ValueError as err:
                raise ValueError(f"latency: not a number: {values[-1]!r}") from err
            if latency < 0:
                raise ValueError("latency: must not be negative")
        else:
            raise ValueError(f"unknown option {key!r} in {url!r}; expected {URL_FORM}")
    return vendor, scenario, latency


class Serial(SerialBase):  # type: ignore[misc]
    """A pyserial port backed by an in-process `SimulatedModem`."""

    def __init__(
        self,
        *args: Any,
        clock: Callable[[], float] | None = None,
        modem: SimulatedModem | None = None,
        **kwargs: Any,
    ) -> None:
        self._clock = clock
        self._modem: SimulatedModem | None = modem
        self._modem_url: str | None = None
        self._generation = 0
        self._buffer = bytearray()
        super().__init__(*args, **kwargs)

    @property
    def modem(self) -> SimulatedModem:
        if self._modem is None:
            raise PortNotOpenError()
        return self._modem

    # --- opening -----------------------------------------------------------------------------

    def _make_modem(self, url: str) -> SimulatedModem:
        try:
            vendor, scenario_path, latency = parse_url(url)
            scenario = load_scenario(scenario_path) if scenario_path else None
            kwargs = {"clock": self._clock} if self._clock is not None else {}
            modem = SimulatedModem(vendor, scenario, **kwargs)
        except (ValueError, ScenarioError) as err:
            raise SerialException(f"could not open port {url}: {err}") from err
        if latency is not None:
            modem.apply({"latency": latency})
        return modem

    def open(self) -> None:
        if self.is_open:
            raise SerialException("Port is already open.")
        if self._port is None:
            raise SerialException("Port must be configured before it can be used.")
        if self._modem is None or (self._modem_url is not None and self._modem_url != self._port):
            self._modem = self._make_modem(self._port)
            self._modem_url = self._port
        if not self._modem.present:
            raise SerialException(2, f"could not open port {self._port}: No such device")
        self._generation = self._modem.generation
        self.is_open = True
        self.reset_input_buffer()

    def close(self) -> None:
        self.is_open = False
        self._buffer.clear()

    def _reconfigure_port(self) -> None:
        """Line settings mean nothing to the simulated modem."""

    # --- I/O ---------------------------------------------------------------------------------

    def _live(self) -> SimulatedModem:
        if not self.is_open or self._modem is None:
            raise PortNotOpenError()
        modem = self._modem
        if not modem.present or modem.generation != self._generation:
            raise SerialException("device disconnected (the simulated modem was unplugged)")
        return modem

    def _pull(self) -> SimulatedModem:
        modem = self._live()
        self._buffer += modem.read_output()
        return self._live()  # reading may run an unplug from the timeline

    @property
    def in_waiting(self) -> int:
        self._pull()
        return len(self._buffer)

    def read(self, size: int = 1) -> bytes:
        modem = self._pull()
        timeout = self._timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        while len(self._buffer) < size and timeout != 0:
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                break
            due = modem.next_due()
            step = _MAX_SLEEP
            if due is not None and self._clock is None:
                step = min(step, max(0.0, due - time.monotonic()))
            if deadline is not None:
                step = min(step, deadline - now)
            time.sleep(max(step, 0.0005))
            modem = self._pull()
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def write(self, data: bytes | bytearray | memoryview) -> int:
        modem = self._live()
        payload = bytes(data)
        modem.feed(payload)
        return len(payload)

    def flush(self) -> None:
        self._live()

    def reset_input_buffer(self) -> None:
        self._pull()
        self._buffer.clear()

    def reset_output_buffer(self) -> None:
        self._live()  # writes reach the modem at once: nothing is ever queued

    @property
    def out_waiting(self) -> int:
        self._live()
        return 0

    # Modem control lines: a USB modem's tty reports them as always asserted.
    def _update_break_state(self) -> None:
        pass

    def _update_rts_state(self) -> None:
        pass

    def _update_dtr_state(self) -> None:
        pass

    @property
    def cts(self) -> bool:
        self._live()
        return True

    @property
    def dsr(self) -> bool:
        self._live()
        return True

    @property
    def ri(self) -> bool:
        self._live()
        return False

    @property
    def cd(self) -> bool:
        self._live()
        return True
