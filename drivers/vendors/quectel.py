"""Quectel EC2x / EG9x / BG96 / RM500 (and the Unisoc EC200 / RM500U variants).

Differs from 27.007 in: `AT+QCCID` for the ICCID (Unisoc variants answer `AT+CCID`
instead, which the generic fallbacks cover), `AT+QCSQ` for RSRP/RSRQ/SINR, and the
module-wide byte counter `AT+QGDCNT?` (vendors.md §2, §3.1).

Counter semantics (QAT 10 §10.15-10.16): bytes since the last `AT+QGDCNT=0`, loaded from
NVM at boot; only what was saved (`AT+QGDCNT=1`, or auto-save with `AT+QAUGDCNT=<s>`)
survives a power cycle. posagent never writes either: it reads, and its ledger treats a
counter that went backwards as a reset.
"""

from __future__ import annotations

from drivers.generic import Generic3gppModem, merge_radio, modem_counters
from drivers.parsers.quectel import parse_qcsq, parse_qgdcnt
from drivers.types import Counters, Registration, Signal


class QuectelModem(Generic3gppModem):
    name = "quectel"
    vendor_iccid_commands = ("AT+QCCID",)
    urc_prefixes = ("RDY", "+CFUN:", "+QIND:", "+QUSIM:", "POWERED DOWN", "+QSIMSTAT:")

    def read_signal(self, registration: Registration | None = None) -> Signal:
        signal = super().read_signal(registration)
        return merge_radio(signal, self.read("AT+QCSQ", parse_qcsq))

    def read_counters(self) -> Counters:
        counters = modem_counters(self.read("AT+QGDCNT?", parse_qgdcnt), "AT+QGDCNT?")
        return counters or super().read_counters()
