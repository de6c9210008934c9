"""u-blox +UGCNTRD: rows from ModemManager's tests (vendors.md "MM-tests ublox-ugcntrd")."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.errors import ParseError
from drivers.parsers.ublox import parse_ugcntrd

TWO_CIDS = "+UGCNTRD: 1, 100, 0, 100, 0\r\n+UGCNTRD: 31,2704,1819,2724,1839\r\n"

UGCNTRD_ROWS = [
    # (text, cid, tx total, rx total, source)
    ("+UGCNTRD: 1, 100, 0, 100, 0\r\n", 1, 100, 0, "MM-tests ublox-ugcntrd-1"),
    ("+UGCNTRD: 31,2704,1819,2724,1839", 31, 2724, 1839, "MM-tests ublox-ugcntrd-2"),
    (TWO_CIDS, 1, 100, 0, "MM-tests ublox-ugcntrd-3"),
    (TWO_CIDS, 31, 2724, 1839, "MM-tests ublox-ugcntrd-4"),
    (
        "+UGCNTRD: 2,1397316870,113728263578,1397316870,113728263578\r\n",
        2,
        1397316870,
        113728263578,
        "MM-tests ublox-ugcntrd-5 (> 2^32)",
    ),
    (TWO_CIDS, None, 2824, 1839, "MM-tests ublox-ugcntrd-3/4, summed over both cids"),
]


@pytest.mark.parametrize(("text", "cid", "tx", "rx", "source"), UGCNTRD_ROWS)
def test_ugcntrd(text: str, cid: int | None, tx: int, rx: int, source: str) -> None:
    reading = parse_ugcntrd("AT+UGCNTRD\r\r\n" + text + "\r\nOK\r\n", cid)
    assert (reading.tx_bytes, reading.rx_bytes) == (tx, rx)


@pytest.mark.parametrize(
    ("text", "cid"),
    [
        ("", None),  # constructed: empty
        ("OK", None),  # constructed: no active context
        (TWO_CIDS, 2),  # constructed: asked for a cid that is not listed
        ("+UGCNTRD: 1,100,0,100", None),  # constructed: truncated
        ("+UGCNTRD: 1,100,0,1e2,0", None),  # constructed: garbage
        ("+UGCNTRD: 1,100,0,-100,0", None),  # constructed: negative total
    ],
)
def test_ugcntrd_malformed(text: str, cid: int | None) -> None:
    with pytest.raises(ParseError):
        parse_ugcntrd(text, cid)


counters = st.integers(0, 2**64)


@settings(max_examples=50)
@given(
    st.dictionaries(
        st.integers(0, 255), st.tuples(counters, counters, counters, counters), min_size=1
    ),
    st.data(),
)
def test_ugcntrd_roundtrip(rows: dict[int, tuple[int, int, int, int]], data: st.DataObject) -> None:
    text = "\r\n".join(f"+UGCNTRD: {c},{a},{b},{s},{r}" for c, (a, b, s, r) in rows.items())
    total = parse_ugcntrd(text + "\r\n\r\nOK")
    assert total.tx_bytes == sum(v[2] for v in rows.values())
    assert total.rx_bytes == sum(v[3] for v in rows.values())
    cid = data.draw(st.sampled_from(sorted(rows)))
    one = parse_ugcntrd(text, cid)
    assert (one.tx_bytes, one.rx_bytes) == (rows[cid][2], rows[cid][3])
