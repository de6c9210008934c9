"""USSD request encoding, +CUSD reply decoding and the balance amount (drivers/parsers/ussd.py)."""

from __future__ import annotations

import re

import pytest

from drivers.errors import ParseError
from drivers.parsers.gsm7 import unpack_septets
from drivers.parsers.ussd import (
    USSD_STATUS,
    UssdReply,
    dcs_is_ucs2,
    encode_ussd_request,
    extract_amount,
    parse_cusd,
)

# "您的余额为12.50元" ("your balance is 12.50 yuan") as UTF-16BE hex, the way a Chinese
# carrier's UCS2 (DCS 72) reply arrives.
BALANCE_UCS2 = "60A876844F59989D4E3A00310032002E003500305143"
SPEC_PATTERN = re.compile(r"余额[:：]?\s*([0-9]+(?:\.[0-9]+)?)")  # SPEC.md balance.pattern


def test_encode_plain() -> None:
    assert encode_ussd_request("*101#", packed=False) == ("*101#", 15)


def test_encode_packed_huawei() -> None:
    # vendors.md §1.7: AT+CUSD=1,"AA182C3602",15 for *101# (MM huawei plugin encode()).
    assert encode_ussd_request("*101#", packed=True) == ("AA182C3602", 15)


def test_encode_packed_pads_a_multiple_of_seven_with_cr() -> None:
    packed, dcs = encode_ussd_request("*100*1#", packed=True)  # 7 septets
    data = bytes.fromhex(packed)
    assert dcs == 15
    assert len(data) == 7
    assert unpack_septets(data, 8)[-1] == 0x0D
    # The reply decoder drops that pad again.
    assert parse_cusd(f'+CUSD: 0,"{packed}",15', packed=True).text == "*100*1#"


@pytest.mark.parametrize("code", ["", 'x"y', "*101#\r", "*余额#"])
def test_encode_rejects_what_cannot_go_in_the_command(code: str) -> None:
    with pytest.raises(ParseError):
        encode_ussd_request(code, packed=False)


@pytest.mark.parametrize(
    ("text", "options", "expected"),
    [
        # vendors.md §1.7 (MM constants): DCS 72, UCS2 hex.
        ('+CUSD: 0,"00420061006C0061006E00630065",72', {}, UssdReply(0, "Balance", 72)),
        # UCS2 hex with a Chinese carrier's balance text, as a URC with framing.
        (f'\r\n+CUSD: 0,"{BALANCE_UCS2}",72\r\n', {}, UssdReply(0, "您的余额为12.50元", 72)),
        # DCS 15 while AT+CSCS="UCS2": the text is UCS2 hex as well (vendors.md §1.7).
        (
            f'+CUSD: 2,"{BALANCE_UCS2}",15',
            {"charset": "UCS2"},
            UssdReply(2, "您的余额为12.50元", 15),
        ),
        # Huawei: packed GSM-7 hex (vendors.md §1.7, MM huawei plugin decode()).
        ('+CUSD: 0,"AA182C3602",15', {"packed": "yes"}, UssdReply(0, "*101#", 15)),
        # Under the GSM charset a hex-looking text is left as the network sent it.
        ('+CUSD: 0,"AA182C3602",15', {}, UssdReply(0, "AA182C3602", 15)),
        ('+CUSD: 0,"Balance: 5.00 EUR",15', {}, UssdReply(0, "Balance: 5.00 EUR", 15)),
        # 27.007 §7.15: <m> alone (4 not supported, 2 terminated by network, 5 timeout).
        ("+CUSD: 4", {}, UssdReply(4, None, None)),
        ("+CUSD: 2\r\n", {}, UssdReply(2, None, None)),
        # Text without <dcs> (QAT 15 URC table #23: +CUSD: <status>[,<rspstr>,[<dcs>]]).
        ('+CUSD: 5,"timeout"', {}, UssdReply(5, "timeout", None)),
    ],
)
def test_parse_cusd(text: str, options: dict[str, str], expected: UssdReply) -> None:
    charset = options.get("charset", "GSM")
    assert parse_cusd(text, charset=charset, packed="packed" in options) == expected


def test_parse_cusd_menu_with_line_breaks_quotes_and_final_ok() -> None:
    text = '\r\n+CUSD: 1,"1. Balance\r\n2. Data "4G", 30MB\r\n0. Exit",15\r\n\r\nOK\r\n'
    reply = parse_cusd(text)
    assert reply.status == 1
    assert reply.text == '1. Balance\r\n2. Data "4G", 30MB\r\n0. Exit'
    assert reply.dcs == 15
    assert not reply.final
    assert reply.meaning == USSD_STATUS[1]


def test_status_meanings() -> None:
    assert parse_cusd("+CUSD: 0").final
    assert USSD_STATUS[0] == "no further action required"
    assert USSD_STATUS[4] == "operation not supported"
    assert USSD_STATUS[5] == "network time out"
    assert "unknown" in UssdReply(9, None, None).meaning


@pytest.mark.parametrize(
    ("dcs", "ucs2"),
    [
        (0x0F, False),  # GSM-7, language unspecified
        (0x00, False),  # GSM-7, German
        (0x08, False),  # GSM-7, Portuguese: bits 3..2 mean nothing in this group
        (0x10, False),  # GSM-7 with language indication
        (0x11, True),  # UCS2 with language indication
        (0x40, False),  # general group, GSM-7
        (0x44, False),  # general group, 8-bit
        (0x48, True),  # general group, UCS2 (MM_MODEM_GSM_USSD_SCHEME_UCS2)
        (0x59, True),  # general group, UCS2, class 1
        (0x98, True),  # message with UDH, UCS2
        (0xF4, False),  # data coding group, 8-bit
    ],
)
def test_dcs_is_ucs2(dcs: int, ucs2: bool) -> None:
    # 3GPP TS 23.038 §5 (CBS data coding scheme, used by USSD).
    assert dcs_is_ucs2(dcs) is ucs2


@pytest.mark.parametrize(
    "text",
    [
        "OK",
        "+CUSD:",
        '+CUSD: x,"a",15',
        '+CUSD: 0,"0042006",72',  # UCS2 hex cut short
        '+CUSD: 0,"Balance",72',  # UCS2 DCS but not hex
        '+CUSD: 0,"not hex",15',  # packed expected
    ],
)
def test_parse_cusd_malformed(text: str) -> None:
    with pytest.raises(ParseError):
        parse_cusd(text, packed=text.endswith('hex",15'))


@pytest.mark.parametrize(
    ("text", "pattern", "amount"),
    [
        ("余额：１２.５０元", SPEC_PATTERN, 12.5),  # full-width digits, colon and point
        ("尊敬的客户，您的账户余额:1,234.56元。", SPEC_PATTERN, 1234.56),
        ("您的余额为12.50元", re.compile(r"余额为?[:：]?\s*([0-9]+(?:\.[0-9]+)?)"), 12.5),
        ("Your balance is 5.00 EUR", re.compile(r"balance is ([0-9.,]+)"), 5.0),
        ("Balance 12,345,678.9", re.compile(r"Balance ([0-9.,]+)"), 12345678.9),
        ("余额 30元", re.compile(r"[0-9]+"), 30.0),  # no group: the whole match
        ("您的余额为12.50元", SPEC_PATTERN, None),  # "为" stands between: no match
        ("余额：abc", re.compile(r"余额[:：](\S+)"), None),  # matched, but no number
        ("余额：1.2.3", re.compile(r"余额[:：](\S+)"), None),
    ],
)
def test_extract_amount(text: str, pattern: re.Pattern[str], amount: float | None) -> None:
    assert extract_amount(text, pattern) == amount


def test_extract_amount_from_a_decoded_ucs2_reply() -> None:
    reply = parse_cusd(f'+CUSD: 0,"{BALANCE_UCS2}",72')
    assert reply.text is not None
    assert extract_amount(reply.text, re.compile(r"余额为([0-9.]+)元")) == 12.5
