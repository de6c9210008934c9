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

from drivers.generic import Generic3gppModem, merge_radio, modem_counters
from drivers.parsers.common_text import frozen
from drivers.parsers.quectel import (
    parse_qcsq,
    parse_qeng_servingcell,
    parse_qgdcnt,
    parse_qnwinfo,
)
from drivers.parsers.radio import RadioInfo
from drivers.types import Counters, Registration, Signal

SERVING_CELL = 'AT+QENG="servingcell"'


class QuectelModem(Generic3gppModem):
    name = "quectel"
    vendor_iccid_commands = ("AT+QCCID",)
    urc_prefixes = ("RDY", "+CFUN:", "+QIND:", "+QUSIM:", "POWERED DOWN", "+QSIMSTAT:")

    def read_registration(self) -> Registration:
        registration = super().read_registration()
        if registration.area_code is not None and registration.cell_id is not None:
            return registration
        # +CxREG? carries LAC/TAC and cell id only after AT+CxREG=2, a setting posagent does
        # not make; the serving-cell report has both on every EC2x firmware (QAT 06 §6.17).
        cell = self.read(SERVING_CELL, parse_qeng_servingcell)
        return with_cell(registration, cell)

    def read_signal(self, registration: Registration | None = None) -> Signal:
        signal = super().read_signal(registration)
        # +QCSQ is missing from the EC2x V2.0 manual (vendors.md §3.1 [?]); older firmware
        # answers ERROR and the serving-cell report gives the same levels (SINR in dB there).
        radio = self.read("AT+QCSQ", parse_qcsq) or self.read(SERVING_CELL, parse_qeng_servingcell)
        signal = merge_radio(signal, radio)
        if signal.rat is None:
            signal = merge_radio(signal, self.read("AT+QNWINFO", parse_qnwinfo))
        return signal

    def read_counters(self) -> Counters:
        counters = modem_counters(self.read("AT+QGDCNT?", parse_qgdcnt), "AT+QGDCNT?")
        return counters or super().read_counters()


def with_cell(registration: Registration, radio: RadioInfo | None) -> Registration:
    """The registration with area code, cell id and RAT filled from a serving-cell report
    where the 27.007 answers left them unknown."""
    if radio is None:
        return registration
    # frozen(): what dataclasses.replace() gives, without its per-field introspection.
    area_code, cell_id = registration.area_code, registration.cell_id
    return frozen(
        Registration,
        {
            **vars(registration),
            "area_code": radio.area_code if area_code is None else area_code,
            "cell_id": radio.cell_id if cell_id is None else cell_id,
            "rat": registration.rat or radio.rat,
        },
    )
