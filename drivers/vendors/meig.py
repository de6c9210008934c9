"""MeiG SLM750 / SLM320 / SLM770A.

Differs from 27.007 in: the ICCID command (`AT+ICCID` on the UIS8910-based SLM320, as on
the Air724UG of the same chipset, QMT `AT_ICCID-ba93350e.json`; `AT+CCID` otherwise
[?], vendors.md §1.3) and, on the ASR1803-based SLM770A, Huawei's `AT^DSFLOWQRY` byte
counters (vendors.md §3.8 [O]). Other models answer ERROR, remembered, and the interface
counters are used.
"""

from __future__ import annotations

from drivers.generic import Generic3gppModem
from drivers.parsers.meig import parse_dsflowqry
from drivers.types import Counters


class MeigModem(Generic3gppModem):
    name = "meig"
    vendor_iccid_commands = ("AT+ICCID", "AT+CCID")
    # SLM770A data-call URCs (vendors.md §3.8, third-party driver [O]).
    urc_prefixes = ("^DCONN", "^DEND")

    def read_counters(self) -> Counters:
        return self.vendor_counters("AT^DSFLOWQRY", parse_dsflowqry)
