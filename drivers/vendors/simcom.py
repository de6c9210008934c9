"""SIMCom SIM7600 / SIM7000 / SIM7070 / A7670.

Differs from 27.007 in: `AT+CICCID` for the ICCID (answered with a `+ICCID:` prefix),
`AT+CPSI?` for RSRP/RSRQ/SINR (tenths of dB on SIM7600, dB on SIM7000/SIM7070: the parser
tells them apart by magnitude) and the serving cell's TAC and cell id, `AT+CNSMOD?` for the
access technology when CPSI is missing (vendors.md §1.3, §3.2).

No byte counter over AT (vendors.md §2): counters come from the Linux interface.
"""

from __future__ import annotations

from drivers.generic import Generic3gppModem, merge_radio
from drivers.parsers.radio import RadioInfo
from drivers.parsers.simcom import parse_cnsmod, parse_cpsi
from drivers.types import Registration, Signal


class SimcomModem(Generic3gppModem):
    name = "simcom"
    vendor_iccid_commands = ("AT+CICCID",)
    # SIM7600 boot sequence RDY, +CPIN: READY, SMS DONE, PB DONE; +CSQN after AT+AUTOCSQ
    # (vendors.md §1.10 [O]).
    urc_prefixes = ("RDY", "SMS DONE", "PB DONE", "+CSQN:")

    def read_registration(self) -> Registration:
        return self.cell_from(super().read_registration(), "AT+CPSI?", parse_cpsi)

    def read_signal(self, registration: Registration | None = None) -> Signal:
        signal = super().read_signal(registration)
        signal = merge_radio(signal, self.read_once("AT+CPSI?", parse_cpsi))
        if signal.rat is None:
            rat = self.read("AT+CNSMOD?", parse_cnsmod)
            signal = merge_radio(signal, RadioInfo(rat=rat))
        return signal
