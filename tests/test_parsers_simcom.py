"""SIMCom parsers: real response strings, source per row (vendors.md keys)."""

from __future__ import annotations

import pytest

from drivers.errors import ParseError
from drivers.parsers.radio import RadioInfo
from drivers.parsers.simcom import parse_cnsmod, parse_cpsi
from drivers.types import Rat

CPSI_ROWS = [
    (
        "+CPSI: LTE,Online,228-02,0x9CA4,20964868,46,EUTRAN-BAND20,6200,3,3,-178,-1089,-742,8",
        RadioInfo(
            rat=Rat.LTE,
            mcc="228",
            mnc="02",
            area_code=0x9CA4,
            cell_id=20964868,
            band="B20",
            rsrq_db=-17.8,
            rsrp_dbm=-108.9,
            rssi_dbm=-74.2,
            sinr_db=8,
        ),
        "vendors.md §3.2 SIM7600 sample [O oFono simcom netmon]",
    ),
    (
        "+CPSI: LTE,Online,404-45,0x21F9,322642,453,EUTRAN-BAND40,39275,4,4,-168,-1126,-773,7",
        RadioInfo(
            rat=Rat.LTE,
            mcc="404",
            mnc="45",
            area_code=0x21F9,
            cell_id=322642,
            band="B40",
            rsrq_db=-16.8,
            rsrp_dbm=-112.6,
            rssi_dbm=-77.3,
            sinr_db=7,
        ),
        "[O] SIM7600 sample in a public ROS message definition (SIM7500/7600 manual V1.08)",
    ),
    (
        "+CPSI: LTE CAT-M1,Online,460-00,0x1816,27447297,270,EUTRAN-BAND8,3740,5,5,-20,-116,-82,6",
        RadioInfo(
            rat=Rat.LTE,
            mcc="460",
            mnc="00",
            area_code=0x1816,
            cell_id=27447297,
            band="B8",
            rsrq_db=-20,
            rsrp_dbm=-116,
            rssi_dbm=-82,
            sinr_db=6,
        ),
        "constructed: SIM7000 dB form, levels …,-20,-116,-82,6 from vendors.md §3.2",
    ),
    (
        "+CPSI: LTE,Online,460-01,0x5A1F,1234567,300,EUTRAN-BAND3,1650,5,5,21,67,255,19",
        RadioInfo(
            rat=Rat.LTE,
            mcc="460",
            mnc="01",
            area_code=0x5A1F,
            cell_id=1234567,
            band="B3",
            sinr_db=19,
        ),
        "constructed: early SIM7100 raw indices …,21,67,255,19 (vendors.md §3.2) → unknown",
    ),
    (
        "+CPSI: WCDMA,Online,310-410,0xDE8B,3846084,WCDMA 850,355,4385,0,4.5,78,39,37,500",
        RadioInfo(
            rat=Rat.UMTS,
            mcc="310",
            mnc="410",
            area_code=0xDE8B,
            cell_id=3846084,
            band="WCDMA 850",
        ),
        "[O] docstring of a public SIM5320/SIM7600 Python driver",
    ),
    (
        "+CPSI: GSM,Online,460-00,0x182d,12401,27 EGSM 900,-64,2110,42-42",
        RadioInfo(rat=Rat.GSM, mcc="460", mnc="00", area_code=0x182D, cell_id=12401, rssi_dbm=-64),
        "constructed: GSM layout of the SIM7600 manual (RxLev in dBm)",
    ),
    ("+CPSI: NO SERVICE,Online", RadioInfo(registered=False), "vendors.md §3.2"),
]


@pytest.mark.parametrize(("text", "expected", "source"), CPSI_ROWS)
def test_cpsi(text: str, expected: RadioInfo, source: str) -> None:
    assert parse_cpsi("AT+CPSI?\r\r\n" + text + "\r\n\r\nOK\r\n") == expected


@pytest.mark.parametrize(
    "text",
    [
        "",  # constructed: empty
        "+CPSI: LTE,Online,228-02,0x9CA4",  # constructed: truncated
        "+CPSI: LTE,Online,228-02,0x9CA4,20964868,46,EUTRAN-BAND20,6200,3,3,-178,-10x9,-742,8",
        "+CPSI: LTE,Online,228-02,0xZZ,20964868,46,EUTRAN-BAND20,6200,3,3,-178,-1089,-742,8",
        "+CPSI: CDMA,Online,460-03,0x1,1,1",  # constructed: unsupported system mode
        "+CSQ: 18,99",  # constructed: another command's answer
    ],
)
def test_cpsi_malformed(text: str) -> None:
    with pytest.raises(ParseError):
        parse_cpsi(text)


@pytest.mark.parametrize(
    ("text", "iot", "rat"),
    [
        ("+CNSMOD: 0,8", False, Rat.LTE),  # vendors.md §3.2
        ("+CNSMOD: 0,0", False, None),  # constructed: no service (table in vendors.md §3.2)
        ("+CNSMOD: 0,3", False, Rat.GSM),  # constructed: EDGE
        ("+CNSMOD: 0,7", False, Rat.UMTS),  # constructed: HSPA on SIM7600
        ("+CNSMOD: 4", False, Rat.UMTS),  # constructed: URC form after AT+CNSMOD=1
        ("+CNSMOD: 0,7", True, Rat.LTE),  # constructed: LTE M1 on SIM7000
        ("+CNSMOD: 0,13", False, None),  # constructed: CDMA has no Rat
    ],
)
def test_cnsmod(text: str, iot: bool, rat: Rat | None) -> None:
    assert parse_cnsmod(text + "\r\n\r\nOK", iot=iot) == rat


def test_cnsmod_malformed() -> None:
    for bad in ("", "+CNSMOD: 0,x", "+CNSMOD: 0,99", "+CNSMOD: 1,2,3"):  # constructed
        with pytest.raises(ParseError):
            parse_cnsmod(bad)
