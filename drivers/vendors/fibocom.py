"""Fibocom L610 / L710 / L716 / FM150 / NL668, and the XMM-based L8x0 family.

Differs from 27.007 in: the ICCID command (`AT+CCID` on the Qualcomm NL668/FM150,
`AT+ICCID` on the Unisoc L610; vendors.md §1.3 [?]) and `AT+XCESQ?` for RSRQ/RSRP/SNR on
the XMM-based modules (MM-tests xmm-xcesq; other Fibocom firmware answers ERROR, remembered).

No byte counter over AT (vendors.md §2): counters come from the Linux interface.
"""

from __future__ import annotations

from drivers.generic import Generic3gppModem, merge_radio
from drivers.parsers.fibocom import parse_xcesq
from drivers.types import Registration, Signal


class FibocomModem(Generic3gppModem):
    name = "fibocom"
    vendor_iccid_commands = ("AT+CCID", "AT+ICCID")
    # vendors.md §1.10 lists no Fibocom-specific URC; the 3GPP defaults apply.
    urc_prefixes = ()

    def read_signal(self, registration: Registration | None = None) -> Signal:
        signal = super().read_signal(registration)
        return merge_radio(signal, self.read("AT+XCESQ?", parse_xcesq))
