"""Sierra Wireless MC7304 / EM7455 / EM75xx.

Differs from 27.007 in: `AT!ICCID?` for the ICCID (MM src/plugins/sierra/mm-sim-sierra.c)
and `AT!GSTATUS?` for RSRP/RSRQ/SINR and the system mode (vendors.md §3.7).

No byte counter over AT (the modules count over QMI only; vendors.md §2): counters come
from the Linux interface.
"""

from __future__ import annotations

from drivers.generic import Generic3gppModem, merge_radio
from drivers.parsers.sierra import parse_gstatus
from drivers.types import Registration, Signal


class SierraModem(Generic3gppModem):
    name = "sierra"
    vendor_iccid_commands = ("AT!ICCID?",)
    urc_prefixes = ("+PACSP",)  # MM src/plugins/sierra/mm-common-sierra.c (no colon)

    def read_registration(self) -> Registration:
        return self.cell_from(super().read_registration(), "AT!GSTATUS?", parse_gstatus)

    def read_signal(self, registration: Registration | None = None) -> Signal:
        signal = super().read_signal(registration)
        return merge_radio(signal, self.read_once("AT!GSTATUS?", parse_gstatus))
