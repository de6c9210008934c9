"""Sierra Wireless parsers: real !GSTATUS captures (public), *CNTI rows."""

from __future__ import annotations

import pytest

from drivers.errors import ParseError
from drivers.parsers.radio import RadioInfo
from drivers.parsers.sierra import parse_cnti, parse_gstatus
from drivers.types import Rat

# EM7511 (SWI9X50C firmware), tab-separated columns, as captured in public engineering notes.
EM7511 = (
    "!GSTATUS: \r\n"
    "Current Time:  4306\t\tTemperature: 35\r\n"
    "Reset Counter: 2\t\tMode:        ONLINE         \r\n"
    "System mode:   LTE        \tPS state:    Attached     \r\n"
    "LTE band:      B66    \t\tLTE bw:      20 MHz  \r\n"
    "LTE Rx chan:   0\t\tLTE Tx chan: 132272\r\n"
    "LTE SSC1 state:NOT ASSIGNED\r\n"
    "EMM state:     Registered     \tNormal Service \r\n"
    "RRC state:     RRC Idle       \r\n"
    "IMS reg state: No Srv  \t\t\r\n"
    "\r\n"
    "PCC RxM RSSI:  -87\t\tPCC RxM RSRP:  -119\r\n"
    "PCC RxD RSSI:  -55\t\tPCC RxD RSRP:  -86\r\n"
    "Tx Power:      --\t\tTAC:         550d (21773)\r\n"
    "RSRQ (dB):     -11.6\t\tCell ID:     00a51b02 (10820354)\r\n"
    "SINR (dB):     12.2\r\n"
    "\r\n"
    "OK\r\n"
)

# MC7304, space-separated columns, from the example in a public connection manager's source.
MC7304 = """!GSTATUS:
Current Time:  1571             Temperature: 32
Bootup Time:   0                Mode:        ONLINE
System mode:   LTE              PS state:    Attached
LTE band:      B3               LTE bw:      20 MHz
LTE Rx chan:   1550             LTE Tx chan: 19550
EMM state:     Registered       Normal Service
RRC state:     RRC Idle
IMS reg state: No Srv

RSSI (dBm):    -76              Tx Power:    0
RSRP (dBm):    -107             TAC:         4F3B (20283)
RSRQ (dB):     -9               Cell ID:     004ED30C (5165836)
SINR (dB):      9.6
"""

# EM7455-class, "PCC RxM RSSI" with an "RSRP (dBm)" second column, from a public README.
EM7455 = """AT!GSTATUS?
!GSTATUS:
Current Time:  1426             Temperature: 26
Modem Mitigate Level: 0         ModemProc Mitigate Level: 0
Reset Counter: 1                Mode:        ONLINE
System mode:   LTE              PS state:    Attached
IMS reg state: NOT REGISTERED   IMS mode:    Normal
IMS Srv State: NO SMS,NO VoIP
LTE band:      B3               LTE bw:      15 MHz
LTE Rx chan:   1392             LTE Tx chan: 19392
LTE CA state:  INACTIVE
EMM state:     Registered       Normal Service
RRC state:     RRC Connected

PCC RxM RSSI:  -72              RSRP (dBm):  -105
PCC RxD RSSI:  -94              RSRP (dBm):  -132
Tx Power:      --               TAC:         0E62 (3682)
RSRQ (dB):     -14              Cell ID:     002AC602 (2803202)
SINR (dB):      8.4

OK
"""

# constructed: not attached, no LTE values, NR5G block with "---" placeholders
DETACHED = """!GSTATUS:
Current Time:  12               Temperature: 30
Reset Counter: 1                Mode:        ONLINE
System mode:   WCDMA            PS state:    Not attached
TAC:         ---                Cell ID:     ---
NR5G RSRP (dBm): ---            NR5G RSRQ (dB):  ---
NR5G SINR (dB):  ---
"""

GSTATUS_ROWS = [
    (
        EM7511,
        RadioInfo(
            rat=Rat.LTE,
            band="B66",
            rssi_dbm=-87,
            rsrp_dbm=-119,
            rsrq_db=-11.6,
            sinr_db=12.2,
            area_code=21773,
            cell_id=10820354,
            registered=True,
        ),
        "[O] EM7511 capture (tabs)",
    ),
    (
        MC7304,
        RadioInfo(
            rat=Rat.LTE,
            band="B3",
            rssi_dbm=-76,
            rsrp_dbm=-107,
            rsrq_db=-9,
            sinr_db=9.6,
            area_code=20283,
            cell_id=5165836,
            registered=True,
        ),
        "[O] MC7304 example (spaces)",
    ),
    (
        EM7455,
        RadioInfo(
            rat=Rat.LTE,
            band="B3",
            rssi_dbm=-72,
            rsrp_dbm=-105,
            rsrq_db=-14,
            sinr_db=8.4,
            area_code=3682,
            cell_id=2803202,
            registered=True,
        ),
        "[O] EM74xx capture, RxM values win over RxD",
    ),
    (DETACHED, RadioInfo(rat=Rat.UMTS, registered=False), "constructed: placeholders"),
]


@pytest.mark.parametrize(("text", "expected", "source"), GSTATUS_ROWS)
def test_gstatus(text: str, expected: RadioInfo, source: str) -> None:
    assert parse_gstatus(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",  # constructed: empty
        "OK",  # constructed
        "ERROR",  # constructed: command refused before AT!ENTERCND
        "!GSTATUS:\r\nCurrent Time:  12\r\nRSRP (dBm):  -1x5\r\n",  # constructed: garbage
        "+CSQ: 18,99",  # constructed: another command's answer
    ],
)
def test_gstatus_malformed(text: str) -> None:
    with pytest.raises(ParseError):
        parse_gstatus(text)


@pytest.mark.parametrize(
    ("text", "rat"),
    [
        ("*CNTI: 0,LTE", Rat.LTE),  # vendors.md §3.7
        ("*CNTI: 0,HSDPA", Rat.UMTS),  # [O] docstring of a public Python modem driver
        ("*CNTI: 0,NONE", None),  # [O] public Qualcomm AT notes: "when unregistered"
        ("*CNTI: 0,EDGE", Rat.GSM),  # constructed
    ],
)
def test_cnti(text: str, rat: Rat | None) -> None:
    assert parse_cnti(text + "\r\n\r\nOK") == rat


def test_cnti_malformed() -> None:
    # constructed: empty, the "available technologies" list form, an unknown label
    for bad in ("", "*CNTI: 1,GSM,GPRS,EDGE,UMTS", "*CNTI: 0,FOO", "*CNTI: 0,"):
        with pytest.raises(ParseError):
            parse_cnti(bad)
