"""Telit parsers: real response strings, source per row (vendors.md keys)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.errors import ParseError
from drivers.parsers.radio import CounterReading, RadioInfo
from drivers.parsers.telit import parse_gdatavol, parse_psnt, parse_qss, parse_rfsts
from drivers.types import Rat

# --- #GDATAVOL ---------------------------------------------------------------------------

GDATAVOL_ROWS = [
    # (text, tx, rx, source)
    ("#GDATAVOL: 1,1320,600,720", 600, 720, "constructed: layout of TEL-UC864 §3.5.7.4.17"),
    (
        "#GDATAVOL: 0,0,0,0\r\n#GDATAVOL: 1,5000000000,1000000000,4000000000\r\n"
        "#GDATAVOL: 3,300,100,200",
        1000000100,
        4000000200,
        "constructed: one line per cid (TEL-UC864), cid 0 = GSM CSD, values > 2^32",
    ),
]


@pytest.mark.parametrize(("text", "tx", "rx", "source"), GDATAVOL_ROWS)
def test_gdatavol(text: str, tx: int, rx: int, source: str) -> None:
    reading = parse_gdatavol("AT#GDATAVOL=2\r\r\n" + text + "\r\n\r\nOK\r\n")
    assert reading == CounterReading(rx_bytes=rx, tx_bytes=tx, detail="GDATAVOL")


@pytest.mark.parametrize(
    "text",
    [
        "",  # constructed: empty
        "OK",  # constructed: no context defined
        "#GDATAVOL: 1,1320,600",  # constructed: truncated
        "#GDATAVOL: 1,1320,6O0,720",  # constructed: letter O
        "#GDATAVOL: 1,1320,600,720\r\n#GDATAVOL: 2,abc",  # constructed: second line broken
    ],
)
def test_gdatavol_malformed(text: str) -> None:
    with pytest.raises(ParseError):
        parse_gdatavol(text)


@settings(max_examples=50)
@given(st.lists(st.tuples(st.integers(0, 2**64), st.integers(0, 2**64)), min_size=1, max_size=5))
def test_gdatavol_roundtrip(rows: list[tuple[int, int]]) -> None:
    text = "\r\n".join(f"#GDATAVOL: {i + 1},{s + r},{s},{r}" for i, (s, r) in enumerate(rows))
    reading = parse_gdatavol(text)
    assert reading.tx_bytes == sum(s for s, _ in rows)
    assert reading.rx_bytes == sum(r for _, r in rows)


# --- #RFSTS ------------------------------------------------------------------------------

RFSTS_ROWS = [
    (
        '#RFSTS: "286 01",1795,-101,-67,-15,2242,,128,3,1,0B5D121,"286016339612498",'
        '"Turkcell",3,3,108',
        RadioInfo(
            rat=Rat.LTE,
            mcc="286",
            mnc="01",
            rsrp_dbm=-101,
            rssi_dbm=-67,
            rsrq_db=-15,
            area_code=0x2242,
            cell_id=0x0B5D121,
            band="B3",
            sinr_db=1.6,
        ),
        "vendors.md §3.6 LE910 sample [O]",
    ),
    (
        '#RFSTS: "286 01",1651,-99,-62,-16,2242,,128,3,1,0B5D120,"286016339612498",'
        '"Turkcell",3,3,103',
        RadioInfo(
            rat=Rat.LTE,
            mcc="286",
            mnc="01",
            rsrp_dbm=-99,
            rssi_dbm=-62,
            rsrq_db=-16,
            area_code=0x2242,
            cell_id=0x0B5D120,
            band="B3",
            sinr_db=0.6,
        ),
        "[O] same public LE910 driver comment, third capture",
    ),
    (
        '#RFSTS: "310 260",66786,-101,-68,-13,2D18,255,,640,1,0,3089F02,"000000000000000",'
        '"T-Mobile",3,66',
        RadioInfo(
            rat=Rat.LTE,
            mcc="310",
            mnc="260",
            rsrp_dbm=-101,
            rssi_dbm=-68,
            rsrq_db=-13,
            area_code=0x2D18,
            cell_id=0x3089F02,
            band="B66",
        ),
        "[O] LM960A18 transcript in a public test fixture (empty TXPWR, no SINR)",
    ),
    (
        '#RFSTS: "204 04",1001,-80,00DE,01,5,19,10,2,9878,"204007930002270","vodafone NL",1,2',
        RadioInfo(rat=Rat.GSM, mcc="204", mnc="04", rssi_dbm=-80, area_code=0x00DE, cell_id=0x9878),
        "[O] GSM capture in a public Telit Java driver comment",
    ),
    (
        '#RFSTS: "262 01",10838,316,-6,-82,-75,A3F1,01,-1,64,19,2,0,0,B5B12F,'
        '"262011234567890","Telekom.de",1,1',
        RadioInfo(
            rat=Rat.UMTS, mcc="262", mnc="01", rssi_dbm=-75, area_code=0xA3F1, cell_id=0xB5B12F
        ),
        "constructed: HE910 WCDMA field order",
    ),
]


@pytest.mark.parametrize(("text", "expected", "source"), RFSTS_ROWS)
def test_rfsts(text: str, expected: RadioInfo, source: str) -> None:
    assert parse_rfsts(text + "\r\n\r\nOK\r\n") == expected


@pytest.mark.parametrize(
    "text",
    [
        "",  # constructed: empty
        '#RFSTS: "286 01",1795,-101,-67',  # constructed: truncated
        # constructed: garbage RSRP
        '#RFSTS: "286 01",1795,-1o1,-67,-15,2242,,128,3,1,0B5D121,"286016339612498",'
        '"Turkcell",3,3,108',
        # constructed: non-hex cell id
        '#RFSTS: "286 01",1795,-101,-67,-15,2242,,128,3,1,0B5DX21,"286016339612498",'
        '"Turkcell",3,3,108',
    ],
)
def test_rfsts_malformed(text: str) -> None:
    with pytest.raises(ParseError):
        parse_rfsts(text)


# --- #PSNT / #QSS ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rat"),
    [
        # constructed from the MM telit plugin's "#PSNT:" handling (vendors.md §3.6)
        ("#PSNT: 0,4", Rat.LTE),
        ("#PSNT: 0,0", Rat.GSM),
        ("#PSNT: 1,2", Rat.UMTS),
        ("#PSNT: 0,3", Rat.UMTS),
        ("#PSNT: 0,5", None),
        ("#PSNT: 4", Rat.LTE),  # URC form after AT#PSNT=1
    ],
)
def test_psnt(text: str, rat: Rat | None) -> None:
    assert parse_psnt(text + "\r\n\r\nOK") == rat


def test_psnt_malformed() -> None:
    for bad in ("", "#PSNT: 0,9", "#PSNT: 0,x"):  # constructed
        with pytest.raises(ParseError):
            parse_psnt(bad)


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("#QSS: 0,0", 0),  # MM-tests telit-qss
        ("#QSS: 1,0", 0),  # MM-tests telit-qss
        ("#QSS: 0,1", 1),  # MM-tests telit-qss
        ("#QSS: 0,2", 2),  # MM-tests telit-qss
        ("#QSS: 0,3", 3),  # MM-tests telit-qss
        ("#QSS:0,3", 3),  # MM-tests telit-qss
        ("#QSS: 0, 3", 3),  # MM-tests telit-qss
    ],
)
def test_qss(text: str, status: int) -> None:
    assert parse_qss(text + "\r\n\r\nOK") == status


@pytest.mark.parametrize("text", ["#QSS: 0", "QSS:0,1", "#QSS: 0,5", ""])  # MM-tests (errors)
def test_qss_malformed(text: str) -> None:
    with pytest.raises(ParseError):
        parse_qss(text)
