"""Quectel EC2x / EG9x / BG96 / RM500 (and the Unisoc EC200 / RM500U variants).

Differs from 27.007 in: `AT+QCCID` for the ICCID (Unisoc variants answer `AT+CCID`
instead, which the generic fallbacks cover), `AT+QCSQ` for RSRP/RSRQ/SINR, the serving
cell `AT+QENG="servingcell"` (TAC and cell id, and the levels on firmware without QCSQ),
`AT+QNWINFO` for the access technology, and the module-wide byte counter `AT+QGDCNT?`
(vendors.md §2, §3.1).

Counter semantics (QAT 10 §10.15-10.16): bytes since the last `AT+QGDCNT=0`, loaded from
NVM at boot; only what was saved (`AT+QGDCNT=1`, or auto-save with `AT+QAUGDCNT=<s>`)
survives a power cycle. posagent never writes either: it reads, and its ledger treats a
counter that went backwards as a reset.
"""

from __future__ import annotations

from drivers.generic import Generic3gppModem, merge_radio
from drivers.parsers.quectel import (
    parse_qcsq,
    parse_qeng_servingcell,
    parse_qgdcnt,
    parse_qnwinfo,
)
from drivers.types import Counters, Registration, Signal

SERVING_CELL = 'AT+QENG="servingcell"'


class QuectelModem(Generic3gppModem):
    name = "quectel"
    vendor_iccid_commands = ("AT+QCCID",)
    urc_prefixes = ("RDY", "+CFUN:", "+QIND:", "+QUSIM:", "POWERED DOWN", "+QSIMSTAT:")

    def read_registration(self) -> Registration:
        # The serving-cell report has TAC and cell id on every EC2x firmware (QAT 06 §6.17).
        return self.cell_from(super().read_registration(), SERVING_CELL, parse_qeng_servingcell)

    def read_signal(self, registration: Registration | None = None) -> Signal:
        signal = super().read_signal(registration)
        # +QCSQ is missing from the EC2x V2.0 manual (vendors.md §3.1 [?]); older firmware
        # answers ERROR and the serving-cell report gives the same levels (SINR in dB there).
        radio = self.read("AT+QCSQ", parse_qcsq) or self.read_once(
            SERVING_CELL, parse_qeng_servingcell
        )
        signal = merge_radio(signal, radio)
        if signal.rat is None:
            signal = merge_radio(signal, self.read("AT+QNWINFO", parse_qnwinfo))
        return signal

    def read_counters(self) -> Counters:
        return self.vendor_counters("AT+QGDCNT?", parse_qgdcnt)
