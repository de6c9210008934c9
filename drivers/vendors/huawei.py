"""Huawei ME909s / ME906 / MU709 / E3372 (stick firmware, not HiLink).

Differs from 27.007 in: `AT^ICCID?` for the ICCID, `AT^HCSQ?` for RSRP/RSRQ/SINR (raw
levels, converted as ModemManager's Huawei plugin does), `AT^SYSINFOEX` for the access
technology on firmware without HCSQ, and the byte counters `AT^DSFLOWQRY` (vendors.md §2,
§3.3).

Counter semantics (HW-EM770W §9.2-9.3): hex totals of bytes sent and received since the
last `AT^DSFLOWCLR`, kept by the module (believed NV-backed [?]); posagent reads the totals
and never clears them.
"""

from __future__ import annotations

from drivers.generic import Generic3gppModem, merge_radio
from drivers.parsers.huawei import parse_dsflowqry, parse_hcsq, parse_sysinfoex
from drivers.types import Counters, Registration, Signal


class HuaweiModem(Generic3gppModem):
    name = "huawei"
    # Older devices lack ^ICCID and answer ERROR; the generic +CRSM read follows
    # (MM src/plugins/huawei/mm-sim-huawei.c).
    vendor_iccid_commands = ("AT^ICCID?",)
    # USSD request and reply as packed GSM-7 hex (MM huawei plugin encode/decode, §1.7).
    ussd_packed = True
    # MM huawei plugin's URC regex list (vendors.md §1.10).
    urc_prefixes = (
        "^RSSI:",
        "^HCSQ:",
        "^MODE:",
        "^SRVST:",
        "^SIMST:",
        "^DSFLOWRPT:",
        "^BOOT:",
        "^NDISSTAT:",
        "^DSDORMANT:",
        "^STIN:",
        "^CEND:",
        "^CONN:",
        "^ORIG:",
    )

    def read_signal(self, registration: Registration | None = None) -> Signal:
        signal = super().read_signal(registration)
        signal = merge_radio(signal, self.read("AT^HCSQ?", parse_hcsq))
        if signal.rat is None:
            # E1550-era firmware has no ^HCSQ; ^SYSINFOEX still names the RAT.
            signal = merge_radio(signal, self.read("AT^SYSINFOEX", parse_sysinfoex))
        return signal

    def read_counters(self) -> Counters:
        return self.vendor_counters("AT^DSFLOWQRY", parse_dsflowqry)
