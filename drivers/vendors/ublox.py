"""u-blox LARA-R2 / TOBY-L2 / SARA-R4.

Differs from 27.007 in: `AT+CCID` first for the ICCID (MM src/plugins/ublox/mm-sim-ublox.c)
and the per-context byte counters `AT+UGCNTRD` (vendors.md §2, §3.5). Support for the
counter is probed once with `AT+UGCNTRD=?`, as ModemManager's u-blox plugin does, and the
answer remembered until `forget()`.

Counter semantics: one line per active context with session and total bytes; posagent
sums the totals of every context (all of it is charged to the one SIM). Totals are reset
only by `AT+UGCNTSET`, which posagent never sends; whether they survive a power cycle is
not documented in the sources at hand [?], so the ledger judges them by their values.
With no active context the modem lists no line, and the interface counters are used.
"""

from __future__ import annotations

from drivers.errors import CmeError
from drivers.generic import Generic3gppModem, modem_counters
from drivers.parsers.ublox import parse_ugcntrd
from drivers.types import Counters

UGCNTRD = "AT+UGCNTRD"


class UbloxModem(Generic3gppModem):
    name = "ublox"
    vendor_iccid_commands = ("AT+CCID",)
    # vendors.md §1.10 lists no u-blox-specific URC; the 3GPP defaults apply.
    urc_prefixes = ()
    _has_ugcntrd: bool | None = None  # unknown until probed; per instance once known

    def forget(self) -> None:
        super().forget()
        self._has_ugcntrd = None

    def has_ugcntrd(self) -> bool:
        """Whether the firmware has +UGCNTRD: asked once with the test command."""
        if self._has_ugcntrd is None:
            try:
                self._has_ugcntrd = self.query(f"{UGCNTRD}=?") is not None
            except CmeError:
                return False  # a passing state (SIM busy): ask again next time
        return self._has_ugcntrd

    def read_counters(self) -> Counters:
        if self.has_ugcntrd():
            counters = modem_counters(self.read(UGCNTRD, parse_ugcntrd), UGCNTRD)
            if counters is not None:
                return counters
        return super().read_counters()
