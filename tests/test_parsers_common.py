"""Identity and SIM parsers of drivers.parsers.common, table-driven over real answers.

Each row names its source: a vendors.md key (MM-tests <test>, QAT, QMT <capture>), the
3GPP spec, or "constructed: <why>" for a shape made up to pin an edge.
"""

from __future__ import annotations

import pytest

from drivers.errors import ParseError
from drivers.parsers.common import (
    luhn_valid,
    normalize_iccid,
    parse_ati,
    parse_cgsn,
    parse_cimi,
    parse_cpin,
    parse_crsm_iccid,
    parse_iccid,
    parse_info_line,
    sim_state_from_cme,
)
from drivers.types import Identity, SimState


def raw(command: str, body: str) -> str:
    """``body`` as it comes off the wire with echo on: echo, CRLF framing, final OK."""
    lines = "".join(f"\r\n{line}" for line in body.split("\n"))
    return f"{command}\r\r{lines}\r\n\r\nOK\r\n"


# --- +CGMI / +CGMM / +CGMR -------------------------------------------------------------

INFO_LINES = [
    # (text, prefix, expected, source)
    ("Quectel", None, "Quectel", "QAT ch.2 AT+CGMI"),
    ("EC25EFAR06A06M4G", None, "EC25EFAR06A06M4G", "QAT ch.2 AT+CGMR"),
    ("SIMCOM_SIM7600E-H", None, "SIMCOM_SIM7600E-H", "vendors.md §1.1 AT+CGMM"),
    (
        '+CGMR: "LuatOS-Air_V4032_RDA8910_TTS_NOLVGL_FLOAT"',
        None,
        "LuatOS-Air_V4032_RDA8910_TTS_NOLVGL_FLOAT",
        "QMT air724ug AT_CGMR-4b35c614.json",
    ),
    ("+CGMR: LE20B04SIM7600M22", "+CGMR", "LE20B04SIM7600M22", "vendors.md §3.2 SIMCom"),
    ("+CGMR: LE20B04SIM7600M22", "+CGMR:", "LE20B04SIM7600M22", "same, prefix with colon"),
    ("\n11.608.09.01.21\n", None, "11.608.09.01.21", "MM-tests devid Huawei E1550 gmr"),
    ('\n"Motorola"\n', None, "Motorola", "MM-tests devid Motorola ROKR E2 gmi"),
    ("Revision: 11.608.09.01.21", None, "11.608.09.01.21", "constructed: labelled +CGMR"),
    ("+GMR: EC25EFAR06A06M4G", None, "EC25EFAR06A06M4G", "constructed: AT+GMR prefix"),
    ("\r\n\r\nu-blox\r\n\r\nOK\r\n", None, "u-blox", "vendors.md §1.1, CRLF framing"),
    (raw("AT+CGMM", "EC25"), None, "EC25", "QAT ch.2 with echo and OK"),
]


@pytest.mark.parametrize(("text", "prefix", "expected", "source"), INFO_LINES)
def test_parse_info_line(text: str, prefix: str | None, expected: str, source: str) -> None:
    assert parse_info_line(text, prefix) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",  # nothing at all
        "\r\n\r\nOK\r\n",  # only the final result
        "AT+CGMI\r\r\nOK\r\n",  # echo and OK, no information line
        "AT+CGMR\r\r\nERROR\r\n",  # the command failed
        '+CGMI: ""',  # constructed: empty quoted value
    ],
)
def test_parse_info_line_no_answer(text: str) -> None:
    with pytest.raises(ParseError):
        parse_info_line(text)


# --- ATI -------------------------------------------------------------------------------

ATI = [
    (
        "\nManufacturer: huawei\nModel: E1550\nRevision: 11.608.09.01.21\n"
        "IMEI: 235012412595195\n+GCAP: +CGSM,+FCLASS,+DS\n",
        Identity("huawei", "E1550", "11.608.09.01.21", "235012412595195", False),
        "MM-tests devid Huawei E1550 (its IMEI fails Luhn: flagged, kept)",
    ),
    (
        "Quectel\r\nRM500U-CNV\r\nRevision: RM500UCNVCAR03A12M2G",
        Identity("Quectel", "RM500U-CNV", "RM500UCNVCAR03A12M2G"),
        "QMT rm500u-cnv ATI-9226517c.json",
    ),
    (
        raw("ATI", "Quectel\nEC25\nRevision: EC25EFAR06A06M4G"),
        Identity("Quectel", "EC25", "EC25EFAR06A06M4G"),
        "vendors.md §3.1 Quectel ATI, with echo and OK",
    ),
    (
        "Manufacturer: SIMCOM INCORPORATED\nModel: SIMCOM_SIM7600E-H\n"
        "Revision: SIM7600M22_V1.1\nIMEI: 867584034313614\n+GCAP: +CGSM",
        Identity(
            "SIMCOM INCORPORATED", "SIMCOM_SIM7600E-H", "SIM7600M22_V1.1", "867584034313614", True
        ),
        "vendors.md §1.1 SIMCom ATI",
    ),
    (
        "\nManufacturer: Sierra Wireless, Inc.\nModel: C885\n"
        "Revision: J1_0_1_26AP C:/WS/FW/J1_0_1_26AP/MSM7200A/SRC/AMSS 2009/01/30 07:58:06\n"
        "IMEI: 987866969112306\nIMEI SV: 6\nFSN: D603478104511\n3GPP Release 6\n"
        "+GCAP: +CGSM,+DS,+ES\n",
        Identity(
            "Sierra Wireless, Inc.",
            "C885",
            "J1_0_1_26AP C:/WS/FW/J1_0_1_26AP/MSM7200A/SRC/AMSS 2009/01/30 07:58:06",
            "987866969112306",
            False,
        ),
        "MM-tests devid Sierra USBConnect Mercury (IMEI SV and bare lines ignored)",
    ),
    (
        "\nManufacturer: HUAWEI INCORPORATED\nModel: EC121\nRevision: 11.100.17.00.114\n"
        "ESN: +GSN:12de4fa6\n+CIS707-A, +MS, +ES, +DS, +FCLASS\n",
        Identity("HUAWEI INCORPORATED", "EC121", "11.100.17.00.114"),
        "MM-tests devid Huawei EC121 (CDMA: ESN, no IMEI)",
    ),
    (
        "Manufacturer: Telit\nModel: LE910C1-EU\nIMEI SV: 01\nIMEI: 490154203237518",
        Identity("Telit", "LE910C1-EU", None, "490154203237518", True),
        "constructed: IMEI SV listed before the IMEI is not taken for it",
    ),
]


@pytest.mark.parametrize(("text", "expected", "source"), ATI)
def test_parse_ati(text: str, expected: Identity, source: str) -> None:
    assert parse_ati(text) == expected


@pytest.mark.parametrize("text", ["", "ATI\r\r\nOK\r\n", "+GCAP: +CGSM", "ATI\r\nERROR\r\n"])
def test_parse_ati_no_answer(text: str) -> None:
    with pytest.raises(ParseError):
        parse_ati(text)


# --- IMEI ------------------------------------------------------------------------------

LUHN = [
    ("490154203237518", True),  # the worked IMEI example of the Luhn algorithm
    ("490154203237519", False),  # same, last digit changed
    ("869955065336336", True),  # vendors.md §1.1 AT+CGSN sample
    ("356936001568843", False),  # MM-tests gsn (a made-up IMEI)
    ("79927398713", True),  # the classic Luhn example
    ("79927398710", False),
    ("", False),
    ("4", False),
    ("49015420323751a", False),
    ("４９", False),  # constructed: full-width digits are not ASCII digits
]


@pytest.mark.parametrize(("digits", "expected"), LUHN)
def test_luhn_valid(digits: str, expected: bool) -> None:
    assert luhn_valid(digits) is expected


CGSN = [
    ("869955065336336", ("869955065336336", True), "vendors.md §1.1 AT+CGSN"),
    ("356936001568843,NL2A62Z0N5", ("356936001568843", False), "MM-tests gsn IMEI + serial"),
    ("\n129512359199159,SE393939TS\n", ("129512359199159", False), "MM-tests devid GTM378 gsn"),
    ('+CGSN: "490154203237518"', ("490154203237518", True), "constructed: AT+CGSN=1 form"),
    ("+CGSN: 490154203237518", ("490154203237518", True), "constructed: prefix, no quotes"),
    (raw("AT+CGSN", "869955065336336"), ("869955065336336", True), "with echo and OK"),
    ("49015420323751", ("49015420323751", False), "constructed: 14 digits, no check digit"),
    ("^RSSI: 20\n869955065336336", ("869955065336336", True), "constructed: Huawei URC first"),
    ("4901542032375101", ("4901542032375101", False), "constructed: 16-digit IMEISV"),
]


@pytest.mark.parametrize(("text", "expected", "source"), CGSN)
def test_parse_cgsn(text: str, expected: tuple[str, bool], source: str) -> None:
    assert parse_cgsn(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "adsfasdfasdfasdf",  # MM-tests gsn garbage
        "0x6030Cfgh",  # MM-tests gsn bad ESN
        "0x2214A600",  # MM-tests gsn: a CDMA ESN is not an IMEI
        "4901542032375",  # 13 digits: truncated
        "490154203237518123",  # 18 digits
        "",
        "AT+CGSN\r\r\nERROR\r\n",
    ],
)
def test_parse_cgsn_malformed(text: str) -> None:
    with pytest.raises(ParseError):
        parse_cgsn(text)


# --- IMSI ------------------------------------------------------------------------------

CIMI = [
    ("460023210226023", "460023210226023", "QAT 05 §5.1"),
    ("#CIMI: 310260584850247", "310260584850247", "vendors.md §3.6 Telit AT#CIMI"),
    ("+CIMI: 460023210226023", "460023210226023", "constructed: prefixed firmware"),
    (raw("AT+CIMI", "460023210226023"), "460023210226023", "QAT 05 §5.1 with echo and OK"),
    ("24001", "24001", "constructed: shortest accepted (5 digits)"),
    ("+CPIN: READY\n460023210226023", "460023210226023", "constructed: URC first"),
]


@pytest.mark.parametrize(("text", "expected", "source"), CIMI)
def test_parse_cimi(text: str, expected: str, source: str) -> None:
    assert parse_cimi(text) == expected


@pytest.mark.parametrize(
    "text", ["", "4600", "4600232102260231", "46002321022602X", "+CME ERROR: 10", "SIM PIN"]
)
def test_parse_cimi_malformed(text: str) -> None:
    with pytest.raises(ParseError):
        parse_cimi(text)


# --- ICCID -----------------------------------------------------------------------------

NORMALIZE_ICCID = [
    ('"984402003576012594F9"', "8944200053671052499", "MM-tests iccid quoted_swap_19_digit"),
    ("98231420326409614067", "89324102234690160476", "MM-tests iccid unquoted_swap_20_digit"),
    ("8944200053671052499F", "8944200053671052499", "MM-tests iccid unswapped_19_digit"),
    ("8944200053671052499", "8944200053671052499", "MM-tests iccid unswapped_19_digit_no_f"),
    ('"89324102234690160476"', "89324102234690160476", "MM-tests iccid quoted_unswapped_20"),
    ('"898602F9091830030220"', "898602F9091830030220", "MM-tests iccid hex_account"),
    ('"898602C0123456789012"', "898602C0123456789012", "MM-tests iccid hex_account_2"),
    ("898602f9091830030220", "898602F9091830030220", "constructed: lower-case hex"),
    ("8986020000000000ABF", "8986020000000000ABF", "constructed: 19 chars, F is a hex digit"),
    ("8986 0025 1283 0601 2474", "89860025128306012474", "constructed: spaces skipped"),
    ("982314203264096", None, "MM-tests iccid short"),
    ("98231420326pl9614067", None, "MM-tests iccid invalid_chars"),
    ('"0044200053671052499"', None, "MM-tests iccid quoted_invalid_mii"),
    ("0044200053671052499", None, "MM-tests iccid unquoted_invalid_mii"),
    ("8986A025128306012474", None, "constructed: hex before the 7th character"),
    ("898600251283060124745", None, "constructed: 21 characters"),
    ("9868005221386010424", None, "constructed: 19 characters beginning 98"),
    ("89860025128306012G74", None, "constructed: G is not hex"),
    ("", None, "constructed: empty"),
]


@pytest.mark.parametrize(("value", "expected", "source"), NORMALIZE_ICCID)
def test_normalize_iccid(value: str, expected: str | None, source: str) -> None:
    assert normalize_iccid(value) == expected


PARSE_ICCID = [
    ("+QCCID: 89860025128306012474", "89860025128306012474", "QAT 05 §5.7 Quectel"),
    ("+CCID: 89860325167550400887", "89860325167550400887", "QMT rm500u AT_CCID-49ccaa88.json"),
    ("+ICCID: 89000000000000000022", "89000000000000000022", "QMT air724ug AT_ICCID"),
    ("+ICCID: 89860012345678901234", "89860012345678901234", "vendors.md §1.3 SIMCom"),
    ("+CCID: 8939107800023416395", "8939107800023416395", "vendors.md §1.3 u-blox"),
    ("#CCID: 8901260580048502477", "8901260580048502477", "vendors.md §1.3 Telit"),
    ("!ICCID: 89014104212345678901", "89014104212345678901", "constructed: Sierra !ICCID"),
    ("^ICCID: 98680052213860104247", "89860025128306012474", "constructed: Huawei, swapped"),
    ("ICCID: 89860042190733578148", "89860042190733578148", "vendors.md §1.3 ZTE ICCID:"),
    ("+ZGETICCID: 89860042190733578148", "89860042190733578148", "vendors.md §1.3 ZTE ME3630"),
    ('+CCID: "89860325167550400887"', "89860325167550400887", "constructed: quoted value"),
    ("89860025128306012474", "89860025128306012474", "constructed: bare value"),
    (
        raw("AT+QCCID", "+QCCID: 89860025128306012474"),
        "89860025128306012474",
        "QAT 05 §5.7 with echo and OK",
    ),
    (
        "+CPIN: READY\n+QCCID: 89860025128306012474",
        "89860025128306012474",
        "constructed: URC before the answer",
    ),
    ('+CRSM: 144,0,"98680052213860104247"', "89860025128306012474", "vendors.md §1.3 CRSM"),
    ("RDY\n+QCCID: 89860025128306012474", "89860025128306012474", "constructed: QAT 15.6 RDY"),
    ("+QCCID: 12345", None, "constructed: answer present, not an ICCID"),
    ("hello", None, "constructed: a bare line that is not an ICCID"),
    ("+CCID: ", None, "constructed: empty value"),
]


@pytest.mark.parametrize(("text", "expected", "source"), PARSE_ICCID)
def test_parse_iccid(text: str, expected: str | None, source: str) -> None:
    assert parse_iccid(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\r\n\r\nOK\r\n",
        "AT+ICCID\r\r\n+CME ERROR: 4\r\n",  # QMT rm500u AT_ICCID-ba93350e.json
        "+CSQ: 18,99",  # another command's answer
    ],
)
def test_parse_iccid_no_answer(text: str) -> None:
    with pytest.raises(ParseError):
        parse_iccid(text)


CRSM = [
    ('+CRSM: 144,0,"98680052213860104247"', "89860025128306012474", "vendors.md §1.3"),
    ("+CRSM: 144, 0, 98231420326409614067", "89324102234690160476", "MM-tests crsm spacing"),
    ('+CRSM: 144, 0,"984402003576012594F9"', "8944200053671052499", "MM-tests iccid 19-digit"),
    ('+CRSM: 145,0,"98680052213860104247"', "89860025128306012474", "MM mm-base-sim sw1 145"),
    ('+CRSM: 146,0,"98680052213860104247"', "89860025128306012474", "MM mm-base-sim sw1 146"),
    ('+CRSM: 159,0,"98680052213860104247"', "89860025128306012474", "MM mm-base-sim sw1 159"),
    (
        raw("AT+CRSM=176,12258,0,0,10", '+CRSM: 144,0,"98680052213860104247"'),
        "89860025128306012474",
        "vendors.md §1.3 with echo and OK",
    ),
    ("+CRSM: 106,130", None, "constructed: 0x6A82 file not found, no payload"),
    ('+CRSM: 106,130,"98680052213860104247"', None, "constructed: error sw1, stale data"),
    ('+CRSM: 148,4,""', None, "constructed: 0x9404 not found"),
    ('+CRSM: 144,0,""', None, "constructed: success but no data"),
    ('+CRSM: 144,0,"89860025128306012474"', None, "constructed: payload not swapped"),
    ('+CRSM: 144,0,"0054485552415941FFFF"', None, "MM-tests crsm payload (not EF_ICCID)"),
]


@pytest.mark.parametrize(("text", "expected", "source"), CRSM)
def test_parse_crsm_iccid(text: str, expected: str | None, source: str) -> None:
    assert parse_crsm_iccid(text) == expected


@pytest.mark.parametrize("text", ["", "+CRSM:", "+CRSM: x,0", "+CRSM: 144", "+CCID: 8986"])
def test_parse_crsm_iccid_malformed(text: str) -> None:
    with pytest.raises(ParseError):
        parse_crsm_iccid(text)


# --- +CPIN -----------------------------------------------------------------------------

CPIN = [
    ("+CPIN: READY", (SimState.READY, "READY"), "QAT 05 §5.3"),
    (raw("AT+CPIN?", "+CPIN: READY"), (SimState.READY, "READY"), "QAT 05 §5.3 with echo, OK"),
    ("+CPIN: SIM PIN", (SimState.LOCKED, "SIM PIN"), "QAT 05 §5.3"),
    ("+CPIN: SIM PUK", (SimState.LOCKED, "SIM PUK"), "QAT 05 §5.3"),
    ('+CPIN: "SIM PIN"', (SimState.LOCKED, "SIM PIN"), "vendors.md §1.2 quoted form"),
    ("+CPIN: PH-NET PIN", (SimState.LOCKED, "PH-NET PIN"), "27.007 §8.3"),
    ("+CPIN: PH-SIM PIN", (SimState.LOCKED, "PH-SIM PIN"), "27.007 §8.3"),
    ("+CPIN: PH-CORP PUK", (SimState.LOCKED, "PH-CORP PUK"), "27.007 §8.3"),
    ("+CPIN: SIM PIN2", (SimState.READY, "SIM PIN2"), "27.007 §8.3: PIN2 does not block"),
    ("+CPIN: SIM PUK2", (SimState.READY, "SIM PUK2"), "27.007 §8.3"),
    ("\r\n+CPIN: NOT READY\r\n", (SimState.ABSENT, "NOT READY"), "QAT 05 §5.10 removal URC"),
    ("+CPIN: NOT INSERTED", (SimState.ABSENT, "NOT INSERTED"), "constructed: text variant"),
    ("+CPIN:READY", (SimState.READY, "READY"), "constructed: no space after the colon"),
]


@pytest.mark.parametrize(("text", "expected", "source"), CPIN)
def test_parse_cpin(text: str, expected: tuple[SimState, str], source: str) -> None:
    assert parse_cpin(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "+CPIN: ", "+CPIN: MAYBE", "READY", "+CME ERROR: 10", "AT+CPIN?\r\r\nERROR\r\n"],
)
def test_parse_cpin_malformed(text: str) -> None:
    with pytest.raises(ParseError):
        parse_cpin(text)


CME = [
    (10, "", SimState.ABSENT, "27.007 §9.2 SIM not inserted; TEL-MT p.76"),
    (5, "", SimState.LOCKED, "PH-SIM PIN required"),
    (11, "", SimState.LOCKED, "SIM PIN required"),
    (12, "", SimState.LOCKED, "SIM PUK required"),
    (17, "", SimState.LOCKED, "SIM PIN2 required"),
    (18, "", SimState.LOCKED, "SIM PUK2 required"),
    (40, "", SimState.LOCKED, "network personalisation PIN"),
    (13, "", SimState.ERROR, "SIM failure"),
    (15, "", SimState.ERROR, "SIM wrong"),
    (14, "", None, "SIM busy: retry"),
    (4, "", None, "operation not supported: says nothing about the SIM"),
    (30, "", None, "no network service"),
    (310, "", SimState.ABSENT, "27.005 +CMS ERROR 310 SIM not inserted"),
    (314, "", None, "27.005 +CMS ERROR 314 SIM busy"),
    (None, "SIM not inserted", SimState.ABSENT, "MM-tests final-error text form"),
    (None, "+CME ERROR: SIM not inserted", SimState.ABSENT, "vendors.md §1.9 CMEE=2"),
    (None, "SIM PIN required", SimState.LOCKED, "27.007 §9.2 text"),
    (None, "SIM PUK2 required", SimState.LOCKED, "27.007 §9.2 text"),
    (None, "PH-SIM PIN required", SimState.LOCKED, "27.007 §9.2 text"),
    (None, "SIM failure", SimState.ERROR, "27.007 §9.2 text"),
    (None, "SIM busy", None, "27.007 §9.2 text"),
    (None, "+CME ERROR: 10", SimState.ABSENT, "constructed: whole line given as text"),
    (None, "operation not allowed", None, "27.007 §9.2 text, not about the SIM"),
    (None, "", None, "nothing given"),
]


@pytest.mark.parametrize(("code", "text", "expected", "source"), CME)
def test_sim_state_from_cme(
    code: int | None, text: str, expected: SimState | None, source: str
) -> None:
    assert sim_state_from_cme(code, text) == expected
