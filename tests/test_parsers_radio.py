"""Shared text handling of the vendor parsers (drivers/parsers/radio.py)."""

from __future__ import annotations

import pytest

from drivers.errors import ParseError
from drivers.parsers.radio import (
    band_name,
    payloads,
    rat_from_name,
    response_lines,
    scaled,
    split_fields,
    split_plmn,
    to_hex,
    to_int,
)
from drivers.types import Rat


def test_response_lines_drop_echo_blank_and_ok() -> None:
    text = 'AT+QENG="servingcell"\r\r\n+QENG: "servingcell","SEARCH"\r\n\r\nOK\r\n'
    assert response_lines(text) == ['+QENG: "servingcell","SEARCH"']


def test_payloads_case_insensitive_and_every_line() -> None:
    text = "+UGCNTRD: 1,2,3,4,5\n+ugcntrd:6,7,8,9,10\n+CSQ: 1,2"
    assert payloads(text, "+UGCNTRD:") == ["1,2,3,4,5", "6,7,8,9,10"]


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ('"LTE",-69, -102 ,150', ["LTE", "-69", "-102", "150"]),
        ('"a,b",,"c"', ["a,b", "", "c"]),
        ("", [""]),
    ],
)
def test_split_fields(payload: str, fields: list[str]) -> None:
    assert split_fields(payload) == fields


def test_numbers_are_strict() -> None:
    assert to_int(" -93", "x", "t") == -93
    assert to_hex("0x9CA4", "x", "t") == 0x9CA4
    for bad in ("", "1.5", "0x10", "12a"):
        with pytest.raises(ParseError):
            to_int(bad, "x", "t")
    for bad in ("", "G1", "-1F"):
        with pytest.raises(ParseError):
            to_hex(bad, "x", "t")


def test_scaled_range_and_exactness() -> None:
    assert scaled(135, -101, 5, 0, 251) == 6.8
    assert scaled(252, -101, 5, 0, 251) is None
    assert scaled(None, 0, 1, 0, 1) is None


@pytest.mark.parametrize(
    ("raw", "rat", "band"),
    [
        ("LTE BAND 3", None, "B3"),  # QAT 06 §6.9
        ("EUTRAN-BAND20", None, "B20"),  # vendors.md §3.2
        ("B66", None, "B66"),  # [O] Sierra !GSTATUS
        ("NR N78", None, "n78"),  # QMT RM500U
        ("NR5G BAND 78", None, "n78"),  # constructed
        ("39", Rat.LTE, "B39"),  # QAT 06 §6.17 freq_band_ind
        ("78", Rat.NR5G, "n78"),  # QMT RM500U QENG
        ("WCDMA 850", None, "WCDMA 850"),  # [O] SIM7600 CPSI
        ("-", Rat.LTE, None),  # constructed
    ],
)
def test_band_name(raw: str, rat: Rat | None, band: str | None) -> None:
    assert band_name(raw, rat) == band


@pytest.mark.parametrize(
    ("name", "rat"),
    [
        ("FDD LTE", Rat.LTE),
        ("LTE CAT-M1", Rat.LTE),
        ("CAT-NB1", Rat.LTE),
        ("NR5G-NSA", Rat.NR5G),
        ("HSPA+", Rat.UMTS),
        ("WCDMA", Rat.UMTS),
        ("UTRAN", Rat.UMTS),
        ("E-UTRAN", Rat.LTE),
        ("EDGE", Rat.GSM),
        ("NOSERVICE", None),
        ("NONE", None),
    ],
)
def test_rat_from_name(name: str, rat: Rat | None) -> None:
    assert rat_from_name(name) is rat


@pytest.mark.parametrize(
    ("plmn", "expected"),
    [
        ("46011", ("460", "11")),
        ('"310410"', ("310", "410")),
        ("228-02", ("228", "02")),
        ("286 01", ("286", "01")),
        ("00101x", (None, None)),
        ("000-01", (None, None)),
    ],
)
def test_split_plmn(plmn: str, expected: tuple[str | None, str | None]) -> None:
    assert split_plmn(plmn) == expected
