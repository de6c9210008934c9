"""Final result classification (drivers/at/finals.py), table-driven on real lines.

Source keys are those of /work/shared/vendors.md: "MM parsers" is ModemManager
src/mm-serial-parsers.c l.115-127 (the final-result regexes), QAT 15.4/15.5 the Quectel
manual's +CME/+CMS tables, MM-tests final-error-4/5 the text-form (AT+CMEE=2) cases.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.at.finals import (
    CME_ERRORS,
    CMS_ERRORS,
    Final,
    FinalKind,
    classify,
    cme_meaning,
    error_for,
)
from drivers.errors import AtCommandError, CmeError, CmsError

# (line, kind, code, meaning, source)
FINALS = [
    ("OK", FinalKind.OK, None, None, "MM parsers regex_ok"),
    ("ERROR", FinalKind.ERROR, None, None, "MM parsers regex_unknown_error"),
    ("COMMAND NOT SUPPORT", FinalKind.NOT_SUPPORTED, None, None, "MM parsers regex_unknown_error"),
    ("NO CARRIER", FinalKind.NO_CARRIER, None, None, "MM parsers regex_connect_failed"),
    ("BUSY", FinalKind.BUSY, None, None, "MM parsers regex_connect_failed"),
    ("NO ANSWER", FinalKind.NO_ANSWER, None, None, "MM parsers regex_connect_failed"),
    ("NO DIALTONE", FinalKind.NO_DIALTONE, None, None, "MM parsers regex_connect_failed"),
    ("CONNECT", FinalKind.CONNECT, None, None, "MM parsers regex_connect"),
    ("CONNECT 150000000", FinalKind.CONNECT, None, None, "MM parsers regex_connect (CONNECT.*)"),
    ("MODEM ERROR: 2", FinalKind.MODEM_ERROR, 2, None, "MM parsers regex_ezx_error"),
    ("+CME ERROR: 10", FinalKind.CME_ERROR, 10, "SIM not inserted", "QAT 15.4; vendors.md §1.9"),
    ("+CME ERROR: 14", FinalKind.CME_ERROR, 14, "SIM busy", "QAT 15.4; vendors.md §1.9"),
    # vendors.md §0.5: Quectel RM500U answers AT+ICCID this way (QMT capture)
    ("+CME ERROR: 4", FinalKind.CME_ERROR, 4, "operation not supported", "QMT RM500U AT+ICCID"),
    ("+CME ERROR:3", FinalKind.CME_ERROR, 3, "operation not allowed", "MM parsers \\s* after ':'"),
    ("+CME ERROR: 30", FinalKind.CME_ERROR, 30, "no network service", "QAT 15.4"),
    ("+CME ERROR: 904", FinalKind.CME_ERROR, 904, "audio device busy", "QAT 15.4 audio extras"),
    ("+CME ERROR: 7777", FinalKind.CME_ERROR, 7777, "unknown CME error 7777", "code not in table"),
    (
        "+CME ERROR: SIM not inserted",
        FinalKind.CME_ERROR,
        10,
        "SIM not inserted",
        "MM-tests final-error-4/5 (text form)",
    ),
    (
        "+CME ERROR: SIM Failure",
        FinalKind.CME_ERROR,
        13,
        "SIM Failure",
        "MM parsers regex_cme_error_str; case as some firmwares print it",
    ),
    (
        "+CME ERROR: vendor specific text",
        FinalKind.CME_ERROR,
        None,
        "vendor specific text",
        "MM parsers regex_cme_error_str",
    ),
    ("+CMS ERROR: 310", FinalKind.CMS_ERROR, 310, "SIM not inserted", "QAT 15.5"),
    ("+CMS ERROR: 500", FinalKind.CMS_ERROR, 500, "unknown error", "QAT 15.5"),
    ("+CMS ERROR: 330", FinalKind.CMS_ERROR, 330, "SMSC address unknown", "QAT 15.5"),
]

NOT_FINAL = [
    ("+CME ERROR:", "vendors.md §1.9: nothing after the colon is not final"),
    ("+CME ERROR:   ", "vendors.md §1.9: only blanks after the colon"),
    ("+CMS ERROR:", "same rule for +CMS"),
    ("MODEM ERROR:", "MM parsers regex_ezx_error needs digits"),
    ("MODEM ERROR: x", "MM parsers regex_ezx_error needs digits"),
    ("+CSQ: 20,99", "MM-tests csq: an information line"),
    ("+CPIN: READY", "QAT 05 §5.10 an information line"),
    ("OK 1", "not exactly OK"),
    ("ERRORS", "not exactly ERROR"),
    ("", "blank"),
    ("AT+CSQ", "an echo"),
    ("RING", "URC, QAT 15.6"),
]


@pytest.mark.parametrize(("line", "kind", "code", "meaning", "source"), FINALS)
def test_classify_finals(
    line: str, kind: FinalKind, code: int | None, meaning: str | None, source: str
) -> None:
    final = classify(line)
    assert final is not None, source
    assert final.kind is kind
    assert final.line == line
    assert final.code == code
    assert final.meaning == meaning


@pytest.mark.parametrize(("line", "source"), NOT_FINAL)
def test_not_final(line: str, source: str) -> None:
    assert classify(line) is None, source


@pytest.mark.parametrize(
    ("line", "is_error"),
    [("OK", False), ("CONNECT 115200", False), ("ERROR", True), ("+CME ERROR: 10", True)],
)
def test_is_error(line: str, is_error: bool) -> None:
    final = classify(line)
    assert final is not None
    assert final.is_error is is_error


def test_error_for_cme_carries_code_and_meaning() -> None:
    final = classify("+CME ERROR: 10")
    assert final is not None
    exc = error_for("AT+CPIN?", final, ("x",))
    assert type(exc) is CmeError
    assert (exc.code, exc.meaning, exc.final, exc.lines) == (
        10,
        "SIM not inserted",
        final.line,
        ("x",),
    )
    assert "SIM not inserted" in str(exc)
    assert "AT+CPIN?" in str(exc)


def test_error_for_cms_is_a_cme_error_subclass() -> None:
    final = classify("+CMS ERROR: 314")
    assert final is not None
    exc = error_for("AT+CMGL", final)
    assert type(exc) is CmsError
    assert isinstance(exc, CmeError)
    assert (exc.code, exc.meaning) == (314, "SIM busy")


@pytest.mark.parametrize("line", ["ERROR", "NO CARRIER", "COMMAND NOT SUPPORT", "MODEM ERROR: 3"])
def test_error_for_plain(line: str) -> None:
    final = classify(line)
    assert final is not None
    exc = error_for("ATD123;", final)
    assert type(exc) is AtCommandError
    assert exc.final == line


def test_tables_cover_the_vendor_matrix() -> None:
    # Codes vendors.md §1.9 calls out for SIM and network handling.
    for code in (0, 3, 4, 5, 10, 11, 12, 13, 14, 15, 16, 17, 18, 30, 31, 32, 50, 100, 107, 127):
        assert code in CME_ERRORS
    for code in (300, 302, 303, 304, 310, 311, 313, 314, 321, 322, 330, 331, 332, 500):
        assert code in CMS_ERRORS
    assert cme_meaning(13) == "SIM failure"
    assert cme_meaning(9999) == "unknown CME error 9999"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_classify_never_raises_and_is_consistent(line: str) -> None:
    final = classify(line)
    if final is not None:
        assert isinstance(final, Final)
        assert final.line == line
        assert final.kind is not FinalKind.CME_ERROR or line.startswith("+CME ERROR:")
