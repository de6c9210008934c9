"""Neoway N720 / N58 / N723.

Differs from 27.007 only in the ICCID command: `AT+CCID` first, as the Neoway manuals
list it (vendors.md §1.3, §3.9 [?]). No byte counter over AT (vendors.md §2): counters
come from the Linux interface.
"""

from __future__ import annotations

from drivers.generic import Generic3gppModem


class NeowayModem(Generic3gppModem):
    name = "neoway"
    vendor_iccid_commands = ("AT+CCID",)
    # vendors.md §1.10 lists no Neoway-specific URC; the 3GPP defaults apply.
    urc_prefixes = ()
