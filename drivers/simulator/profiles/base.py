"""The shape of a vendor profile: data (identity, defaults, URC lists) plus command handlers.

A handler is a small function ``(ctx, command) -> list of information lines``; it raises
`AtError` for a failure. The modem frames the lines and adds the final result code, so a
handler never deals with ``\\r\\n``, echo or ``+CMEE`` formatting.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from drivers.records import record
from drivers.simulator.commands import Command
from drivers.simulator.state import ModemState, Nvm, Settings

# 27.007 §9.2 texts for the codes the simulator produces (used with AT+CMEE=2).
CME_TEXT: dict[int, str] = {
    3: "operation not allowed",
    4: "operation not supported",
    10: "SIM not inserted",
    11: "SIM PIN required",
    13: "SIM failure",
    14: "SIM busy",
    16: "incorrect password",
    30: "no network service",
    50: "Incorrect parameters",
    100: "unknown",
}


class AtError(Exception):
    """The command failed: `cme` is the +CME ERROR code, None for a plain ERROR; an SMS
    command fails with `cms`, a +CMS ERROR code (27.005 §3.2.5)."""

    def __init__(self, cme: int | None = None, *, cms: int | None = None) -> None:
        if cms is not None:
            text = f"+CMS ERROR: {cms}"
        else:
            text = f"+CME ERROR: {cme}" if cme is not None else "ERROR"
        super().__init__(text)
        self.cme = cme
        self.cms = cms


class ModemContext(Protocol):
    """What handlers may see and do; `SimulatedModem` provides it."""

    state: ModemState
    settings: Settings
    nvm: Nvm
    profile: Profile

    def counters(self) -> tuple[int, int]:
        """(rx_bytes, tx_bytes) now."""
        ...

    def set_counters(self, rx: int, tx: int) -> None: ...

    def set_state(self, **changes: object) -> None:
        """Change state keys as a scenario event would (URCs included)."""
        ...

    def schedule_reset(self) -> None:
        """Power-cycle after the current command's answer has gone out (AT+CFUN=1,1)."""
        ...

    def set_autosave(self, interval: int) -> None: ...

    def expect_input(self, handler: InputHandler) -> None:
        """Answer with a "> " prompt and pass the text the host sends up to Ctrl-Z to
        `handler` (AT+CMGS); its lines and OK, or its AtError, answer then."""
        ...

    def urc_later(self, delay: float, line: str) -> None:
        """An unsolicited line `delay` seconds after this command's answer (a network reply)."""
        ...


Handler = Callable[[ModemContext, Command], list[str]]
InputHandler = Callable[[ModemContext, str], list[str]]
UrcHook = Callable[[ModemContext], list[str]]


def _no_urcs(ctx: ModemContext) -> list[str]:
    return []


def _counters_lost(nvm: Nvm, at_power_off: tuple[int, int]) -> tuple[int, int]:
    return (0, 0)


def counters_kept(nvm: Nvm, at_power_off: tuple[int, int]) -> tuple[int, int]:
    """Totals the module keeps in NVM as they grow: they survive a power cycle whole."""
    return at_power_off


@record
class Profile:
    name: str
    manufacturer: str
    model: str
    revision: str
    handlers: Mapping[str, Handler]
    cmee_default: int = 0
    # Commands that need a SIM: +CME ERROR 10 (absent) / 11 (PIN) before the handler runs.
    sim_commands: frozenset[str] = frozenset()
    boot_urcs: UrcHook = _no_urcs
    sim_removed_urcs: UrcHook = _no_urcs
    sim_inserted_urcs: UrcHook = _no_urcs
    # (rx, tx) after a power cycle, from what the module saved and the counters when the
    # power went; most modules count from zero again.
    counters_after_boot: Callable[[Nvm, tuple[int, int]], tuple[int, int]] = _counters_lost


def require_sim(ctx: ModemContext) -> None:
    if ctx.state.sim == "absent":
        raise AtError(10)
    if ctx.state.sim == "locked":
        raise AtError(11)


def no_args(cmd: Command, *ops: str) -> None:
    """Accept only the given ops (default: plain execute); anything else is a plain ERROR."""
    if cmd.op not in (ops or ("",)):
        raise AtError(None)


def cpin_line(sim: str) -> str:
    """The +CPIN URC/answer for a SIM state (27.007 §8.3; URC form per QAT 05 §5.10)."""
    return {"ready": "+CPIN: READY", "locked": "+CPIN: SIM PIN", "absent": "+CPIN: NOT READY"}[sim]
