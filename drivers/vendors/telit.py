"""Telit LE910 / LE910C1 / LN940 (and UC864/HE910 for the counter).

Differs from 27.007 in: `AT#CCID` for the ICCID, `AT#RFSTS` for RSRP/RSRQ/SINR and the
serving cell, and the byte counters `AT#GDATAVOL=2` (vendors.md §2, §3.6).

Counter semantics (TEL-UC864 §3.5.7.4.17, TEL-MT p.261): `AT#GDATAVOL=2` reports, one line
per defined context, the bytes sent and received since the last `AT#GDATAVOL=0`; these
totals are kept in NVM and survive a power cycle (the last-session values of mode 1 do
not). Mode 2 only reads; posagent never sends mode 0, and sums the contexts.
"""

from __future__ import annotations

from drivers.generic import Generic3gppModem, merge_radio
from drivers.parsers.telit import parse_gdatavol, parse_rfsts
from drivers.types import Counters, Registration, Signal

GDATAVOL = "AT#GDATAVOL=2"


class TelitModem(Generic3gppModem):
    name = "telit"
    vendor_iccid_commands = ("AT#CCID",)
    urc_prefixes = ("#QSS:",)  # SIM status, MM-tests telit-qss

    def read_registration(self) -> Registration:
        return self.cell_from(super().read_registration(), "AT#RFSTS", parse_rfsts)

    def read_signal(self, registration: Registration | None = None) -> Signal:
        signal = super().read_signal(registration)
        return merge_radio(signal, self.read_once("AT#RFSTS", parse_rfsts))

    def read_counters(self) -> Counters:
        return self.vendor_counters(GDATAVOL, parse_gdatavol)
