"""Registration, operator and access technology parsers of drivers.parsers.common.

Most registration rows are ModemManager's own table (src/tests/test-modem-helpers.c,
"MM-tests <test name>"): raw strings from real modems with the values MM parses them to.
"""

from __future__ import annotations

import pytest

from drivers.errors import ParseError
from drivers.parsers.common import (
    Cops,
    RegInfo,
    decode_ucs2_hex,
    parse_cops,
    parse_creg,
    rat_from_act,
    reg_state_from_stat,
)
from drivers.types import Rat, RegState

HOME, ROAMING, SEARCHING = RegState.HOME, RegState.ROAMING, RegState.SEARCHING
DENIED, NOT_REG, UNKNOWN = RegState.DENIED, RegState.NOT_REGISTERED, RegState.UNKNOWN
GSM, UMTS, LTE, NR = Rat.GSM, Rat.UMTS, Rat.LTE, Rat.NR5G


def reg(
    family: str,
    n: int | None,
    stat: int,
    state: RegState,
    lac: int | None = None,
    ci: int | None = None,
    act: int | None = None,
    rat: Rat | None = None,
) -> RegInfo:
    return RegInfo(family, n, stat, state, lac, ci, act, rat)


CREG = [
    # (text, expected, source)
    ("+CREG: 1,3", reg("CREG", 1, 3, DENIED), "MM-tests creg1_solicited"),
    ("\r\n+CREG: 3\r\n", reg("CREG", None, 3, DENIED), "MM-tests creg1_unsolicited"),
    ("\r\n+CREG: 11\r\n", reg("CREG", None, 11, UNKNOWN), "MM-tests creg1_multidigit_stat"),
    (
        "+CREG: 1,1,84CD,00D30173",
        reg("CREG", 1, 1, HOME, 0x84CD, 0xD30173),
        "MM-tests creg2_mercury_solicited",
    ),
    (
        "\r\n+CREG: 1,84CD,00D30156\r\n",
        reg("CREG", None, 1, HOME, 0x84CD, 0xD30156),
        "MM-tests creg2_mercury_unsolicited",
    ),
    (
        '\r\n+CREG: 11,"33FE","a3fb477"\r\n',
        reg("CREG", None, 11, UNKNOWN, 0x33FE, 0xA3FB477),
        "MM-tests creg2_multidigit_stat_unsolicited",
    ),
    (
        '+CREG: 2,1,"CE00","01CEAD8F"',
        reg("CREG", 2, 1, HOME, 0xCE00, 0x01CEAD8F),
        "MM-tests creg2_sek850i_solicited",
    ),
    (
        '\r\n+CREG: 1,"CE00","00005449"\r\n',
        reg("CREG", None, 1, HOME, 0xCE00, 0x5449),
        "MM-tests creg2_sek850i_unsolicited",
    ),
    ("+CREG: 2,0,00,0", reg("CREG", 2, 0, NOT_REG, 0, 0), "MM-tests creg2_e160g unregistered"),
    (
        "+CREG: 2,1,8BE3,2BAF",
        reg("CREG", 2, 1, HOME, 0x8BE3, 0x2BAF),
        "MM-tests creg2_e160g_solicited",
    ),
    (
        "\r\n+CREG: 1,8BE3,2BAF\r\n",
        reg("CREG", None, 1, HOME, 0x8BE3, 0x2BAF),
        "MM-tests creg2_e160g_unsolicited",
    ),
    (
        '+CREG: 2,1,"8BE3","00002BAF"',
        reg("CREG", 2, 1, HOME, 0x8BE3, 0x2BAF),
        "MM-tests creg2_tm506 (leading zeros)",
    ),
    ("\r\n+CREG: 2,,\r\n", reg("CREG", None, 2, SEARCHING), "MM-tests creg2_xu870 unregistered"),
    (
        '+CREG:002,001,"18d8","ffff"',
        reg("CREG", 2, 1, HOME, 0x18D8, 0xFFFF),
        "MM-tests creg2_iridium_solicited",
    ),
    (
        "+CREG:2,1,0001,0010",
        reg("CREG", 2, 1, HOME, 0x1, 0x10),
        "MM-tests creg2_no_leading_zeros_solicited",
    ),
    (
        '+CREG:002,001,"0001","0010"',
        reg("CREG", 2, 1, HOME, 0x1, 0x10),
        "MM-tests creg2_leading_zeros_solicited",
    ),
    (
        "\r\n+CREG: 1,0001,0010,0\r\n",
        reg("CREG", None, 1, HOME, 0x1, 0x10, 0, GSM),
        "MM-tests creg2_no_leading_zeros_unsolicited",
    ),
    (
        '\r\n+CREG: 001,"0001","0010",000\r\n',
        reg("CREG", None, 1, HOME, 0x1, 0x10, 0, GSM),
        "MM-tests creg2_leading_zeros_unsolicited",
    ),
    (
        "\r\n+CREG: 10,0001,0010,0\r\n",
        reg("CREG", None, 10, ROAMING, 0x1, 0x10, 0, GSM),
        "MM-tests creg2_multidigit_stat_no_leading_zeros_unsolicited",
    ),
    (
        '\r\n+CREG: 0011,"0001","0010",000\r\n',
        reg("CREG", None, 11, UNKNOWN, 0x1, 0x10, 0, GSM),
        "MM-tests creg2_multidigit_stat_leading_zeros_unsolicited",
    ),
    (
        '\r\n+CREG: 2,6,"8B37","0A265185",7\r\n',
        reg("CREG", 2, 6, HOME, 0x8B37, 0x0A265185, 7, LTE),
        "MM-tests creg2_ublox_solicited (home, SMS only)",
    ),
    (
        '\r\n+CREG: 6,"8B37","0A265185",7\r\n',
        reg("CREG", None, 6, HOME, 0x8B37, 0x0A265185, 7, LTE),
        "MM-tests creg2_ublox_unsolicited",
    ),
    ("+CGREG: 1,3", reg("CGREG", 1, 3, DENIED), "MM-tests cgreg1_solicited"),
    ("\r\n+CGREG: 3\r\n", reg("CGREG", None, 3, DENIED), "MM-tests cgreg1_unsolicited"),
    (
        '+CGREG: 2,1,"8BE3","00002B5D",3',
        reg("CGREG", 2, 1, HOME, 0x8BE3, 0x2B5D, 3, GSM),
        "MM-tests cgreg2_f3607gw_solicited",
    ),
    (
        '\r\n+CGREG: 1,"8BE3","00002B5D",3\r\n',
        reg("CGREG", None, 1, HOME, 0x8BE3, 0x2B5D, 3, GSM),
        "MM-tests cgreg2_f3607gw_unsolicited",
    ),
    (
        '\r\n+CREG: 2,5,"0502","0404736D"\r\n',
        reg("CREG", 2, 5, ROAMING, 0x0502, 0x0404736D),
        "MM-tests creg2_md400",
    ),
    (
        '\r\n+CGREG: 5,"0502","0404736D",2\r\n',
        reg("CGREG", None, 5, ROAMING, 0x0502, 0x0404736D, 2, UMTS),
        "MM-tests cgreg2_md400_unsolicited",
    ),
    (
        "\r\n+CREG: 5\r\n\r\n+CGREG: 0\r\n",
        reg("CREG", None, 5, ROAMING),
        "MM-tests creg_cgreg_multi_unsolicited (first line wins)",
    ),
    (
        "\r\n+CGREG: 0\r\n\r\n+CREG: 5\r\n",
        reg("CGREG", None, 0, NOT_REG),
        "MM-tests creg_cgreg_multi2_unsolicited",
    ),
    (
        "\r\n+CGREG: 2,1, 81ED, 1A9CEB\r\n",
        reg("CGREG", 2, 1, HOME, 0x81ED, 0x1A9CEB),
        "MM-tests cgreg2_x220 (stray spaces)",
    ),
    (
        "\r\n+CREG: 2,1,000B,2816, B, C2816\r\n",
        reg("CREG", 2, 1, HOME, 0x000B, 0x2816),
        "MM-tests creg2_s8500_wave (junk after CI)",
    ),
    (
        "\r\n+CREG: 2,11,003F,8FE3, B, C2816\r\n",
        reg("CREG", 2, 11, UNKNOWN, 0x003F, 0x8FE3),
        "MM-tests creg2_s8500_wave_multidigit_stat",
    ),
    (
        '\r\n+CGREG: 1,"1422","00000142",3,"00"\r\n',
        reg("CGREG", None, 1, HOME, 0x1422, 0x0142, 3, GSM),
        "MM-tests cgreg2_unsolicited_with_rac",
    ),
    (
        '\r\n+CGREG: 11,"B092","00000697",3,"00"\r\n',
        reg("CGREG", None, 11, UNKNOWN, 0xB092, 0x0697, 3, GSM),
        "MM-tests cgreg2_multidigit_stat_with_rac_unsolicited",
    ),
    (
        "+CGREG:2,10,ebbd,f025",
        reg("CGREG", 2, 10, ROAMING, 0xEBBD, 0xF025),
        "MM-tests cgreg2_multidigit_stat_no_leading_zeros_solicited",
    ),
    (
        '+CGREG:002,0011,"0f0d","14c3"',
        reg("CGREG", 2, 11, UNKNOWN, 0x0F0D, 0x14C3),
        "MM-tests cgreg2_multidigit_stat_leading_zeros_solicited",
    ),
    ("+CEREG: 1,3", reg("CEREG", 1, 3, DENIED), "MM-tests cereg1_solicited"),
    ("\r\n+CEREG: 3\r\n", reg("CEREG", None, 3, DENIED), "MM-tests cereg1_unsolicited"),
    (
        "\r\n+CEREG: 2,1, 1F00, 79D903 ,7\r\n",
        reg("CEREG", 2, 1, HOME, 0x1F00, 0x79D903, 7, LTE),
        "MM-tests cereg2_solicited",
    ),
    (
        "\r\n+CEREG: 1, 1F00, 79D903 ,7\r\n",
        reg("CEREG", None, 1, HOME, 0x1F00, 0x79D903, 7, LTE),
        "MM-tests cereg2_unsolicited",
    ),
    (
        '\r\n+CEREG: 2,10,"8d83","671f98a",7\r\n',
        reg("CEREG", 2, 10, ROAMING, 0x8D83, 0x671F98A, 7, LTE),
        "MM-tests cereg2_multidigit_stat_solicited",
    ),
    (
        "\r\n+CEREG: 2,10, 2CA8, 20 ,B5583D ,7\r\n",
        reg("CEREG", 2, 10, ROAMING, 0x2CA8, 0xB5583D, 7, LTE),
        "MM-tests cereg2_multidigit_stat_with_rac_solicited",
    ),
    (
        "\r\n+CEREG: 11, 78FE, 20 ,14419E ,7\r\n",
        reg("CEREG", None, 11, UNKNOWN, 0x78FE, 0x14419E, 7, LTE),
        "MM-tests cereg2_multidigit_stat_with_rac_unsolicited",
    ),
    (
        "\r\n+CEREG: 1, 2, 0001, 00000100, 7\r\n",
        reg("CEREG", 1, 2, SEARCHING, 0x1, 0x100, 7, LTE),
        "MM-tests cereg2_altair_lte_solicited",
    ),
    (
        "\r\n+CEREG: 2, 0001, 00000100, 7\r\n",
        reg("CEREG", None, 2, SEARCHING, 0x1, 0x100, 7, LTE),
        "MM-tests cereg2_altair_lte_unsolicited",
    ),
    (
        "\r\n+CEREG: 2,1, 1F00, 20 ,79D903 ,7\r\n",
        reg("CEREG", 2, 1, HOME, 0x1F00, 0x79D903, 7, LTE),
        "MM-tests cereg2_novatel_lte_solicited",
    ),
    (
        "\r\n+CEREG: 1, 1F00, 20 ,79D903 ,7\r\n",
        reg("CEREG", None, 1, HOME, 0x1F00, 0x79D903, 7, LTE),
        "MM-tests cereg2_novatel_lte_unsolicited",
    ),
    (
        "\r\n+CEREG: 1, 7800, 20 ,79D903 ,7\r\n",
        reg("CEREG", None, 1, HOME, 0x7800, 0x79D903, 7, LTE),
        "constructed: Novatel E362 URC with an all-digit TAC",
    ),
    (
        '+CGREG: 2, 1, "0426", "F00F"',
        reg("CGREG", 2, 1, HOME, 0x0426, 0xF00F),
        "MM-tests cgreg2_thuraya_solicited",
    ),
    (
        '\r\n+CGREG: 1, "0426", "F00F"\r\n',
        reg("CGREG", None, 1, HOME, 0x0426, 0xF00F),
        "MM-tests cgreg2_thuraya_unsolicited",
    ),
    ("+C5GREG: 1,3", reg("C5GREG", 1, 3, DENIED), "MM-tests c5greg1_solicited"),
    ("\r\n+C5GREG: 1, 10\r\n", reg("C5GREG", 1, 10, ROAMING), "MM-tests c5greg1_multidigit"),
    ("\r\n+C5GREG: 3\r\n", reg("C5GREG", None, 3, DENIED), "MM-tests c5greg1_unsolicited"),
    (
        "+C5GREG: 2,1,1F00,79D903,11,6,ABCDEF",
        reg("C5GREG", 2, 1, HOME, 0x1F00, 0x79D903, 11, NR),
        "MM-tests c5greg2_solicited",
    ),
    (
        "\r\n+C5GREG: 1,1F00,79D903,11,6,ABCDEF\r\n",
        reg("C5GREG", None, 1, HOME, 0x1F00, 0x79D903, 11, NR),
        "MM-tests c5greg2_unsolicited",
    ),
    (
        '+CREG: 2,1,"D509","80D413D",7',
        reg("CREG", 2, 1, HOME, 0xD509, 0x80D413D, 7, LTE),
        "vendors.md §1.5 (QAT 06 §6.2)",
    ),
    (
        'AT+CEREG?\r\r\n+CEREG: 2,5,"1A2B","0C3D4E5F",7\r\n\r\nOK\r\n',
        reg("CEREG", 2, 5, ROAMING, 0x1A2B, 0x0C3D4E5F, 7, LTE),
        "constructed: roaming answer with echo and OK",
    ),
    ("+CEREG: 0,8", reg("CEREG", 0, 8, DENIED), "constructed: emergency only reads as denied"),
    ("+CEREG: 0,4", reg("CEREG", 0, 4, UNKNOWN), "27.007 §10.1.22 stat 4 unknown"),
    ("+CEREG: 0,9", reg("CEREG", 0, 9, HOME), "27.007 stat 9 home, CSFB not preferred"),
    ("+CEREG: 0,7", reg("CEREG", 0, 7, ROAMING), "27.007 stat 7 roaming, SMS only"),
    ("+CEREG: 0,12", reg("CEREG", 0, 12, UNKNOWN), "constructed: stat beyond the table"),
    (
        '+CEREG: 2,1,"1F00","79D903",100',
        reg("CEREG", 2, 1, HOME, 0x1F00, 0x79D903, 100, None),
        "constructed: Quectel AcT 100 (CDMA) has no Rat",
    ),
]


@pytest.mark.parametrize(("text", "expected", "source"), CREG)
def test_parse_creg(text: str, expected: RegInfo, source: str) -> None:
    assert parse_creg(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "+CREG:",  # truncated
        "+CREG: ",
        "+CREG: x",  # garbage stat
        "+CREG: 1,x",  # garbage stat in an answer
        "+CREG: a,1",  # garbage n
        '+CREG: 2,1,"ZZZZ","0010"',  # LAC not hex
        '+CREG: 1,"8BE3","00G02B5D"',  # CI not hex
        '+COPS: 0,0,"CHN-UNICOM",7',  # another command's answer
        "CREG: 1,1",  # no plus: not a registration line
        "AT+CREG?\r\r\n+CME ERROR: 3\r\n",
    ],
)
def test_parse_creg_malformed(text: str) -> None:
    with pytest.raises(ParseError):
        parse_creg(text)


@pytest.mark.parametrize(
    ("stat", "state"),
    [
        (0, NOT_REG),
        (1, HOME),
        (2, SEARCHING),
        (3, DENIED),
        (4, UNKNOWN),
        (5, ROAMING),
        (6, HOME),
        (7, ROAMING),
        (8, DENIED),
        (9, HOME),
        (10, ROAMING),
        (11, UNKNOWN),
        (12, UNKNOWN),
        (-1, UNKNOWN),
    ],
)
def test_reg_state_from_stat(stat: int, state: RegState) -> None:
    assert reg_state_from_stat(stat) is state


@pytest.mark.parametrize(
    ("act", "rat"),
    [
        (0, GSM),
        (1, GSM),
        (3, GSM),
        (8, GSM),
        (2, UMTS),
        (4, UMTS),
        (5, UMTS),
        (6, UMTS),
        (7, LTE),
        (9, LTE),
        (10, LTE),
        (11, NR),
        (12, NR),
        (13, NR),
        (14, None),
        (100, None),
        (None, None),
    ],
)
def test_rat_from_act(act: int | None, rat: Rat | None) -> None:
    assert rat_from_act(act) is rat


COPS = [
    (
        '+COPS: 0,0,"CHN-UNICOM",7',
        Cops(0, 0, "CHN-UNICOM", 7, LTE, None, None),
        "QAT 06 §6.1",
    ),
    ('+COPS: 0,2,"46011",11', Cops(0, 2, "46011", 11, NR, "460", "11"), "QMT rm500u AT_COPS_"),
    (
        '+COPS: 1,0,"CHINA MOBILE"',
        Cops(1, 0, "CHINA MOBILE", None, None, None, None),
        "MM-tests cops_query",
    ),
    (
        '+COPS: 1,0,"CHINA MOBILE",7',
        Cops(1, 0, "CHINA MOBILE", 7, LTE, None, None),
        "MM-tests cops_query",
    ),
    ('+COPS: 1,2,"46000"', Cops(1, 2, "46000", None, None, "460", "00"), "MM-tests cops_query"),
    ('+COPS: 1,2,"46000",7', Cops(1, 2, "46000", 7, LTE, "460", "00"), "MM-tests cops_query"),
    ("+COPS: 0", Cops(0, None, None, None, None, None, None), "27.007 §7.3: no operator"),
    ("+COPS: 2", Cops(2, None, None, None, None, None, None), "27.007 §7.3: deregistered"),
    (
        '+COPS: 0,0,"004D006F007600690073007400610072",7',
        Cops(0, 0, "Movistar", 7, LTE, None, None),
        "MM-tests cops_response_ublox_lara (UCS-2 name)",
    ),
    (
        '+COPS: 0,2,"00320031003400300037",7',
        Cops(0, 2, "21407", 7, LTE, "214", "07"),
        "MM-tests cops_response_ublox_lara (UCS-2 numeric)",
    ),
    (
        '+COPS: 0,0,"T-Mobile USA, In",0',
        Cops(0, 0, "T-Mobile USA, In", 0, GSM, None, None),
        "MM-tests cops_response_samsung_z810 (comma inside quotes)",
    ),
    (
        '+COPS: 0,2,"342600",2',
        Cops(0, 2, "342600", 2, UMTS, "342", "600"),
        "MM-tests operator-id 342600 (3-digit MNC)",
    ),
    ('+COPS: 0,2,"000600",7', Cops(0, 2, "000600", 7, LTE), "MM-tests operator-id MCC 000"),
    ('+COPS: 0,2,"1234567",7', Cops(0, 2, "1234567", 7, LTE), "MM-tests operator-id too long"),
    ('+COPS: 0,2,"123",7', Cops(0, 2, "123", 7, LTE), "MM-tests operator-id too short"),
    (
        '+COPS: 0,0,"46000",7',
        Cops(0, 0, "46000", 7, LTE, None, None),
        "constructed: digits in format 0 give no MCC/MNC",
    ),
    (
        '+COPS: 0,0,"CAFE",7',
        Cops(0, 0, "CAFE", 7, LTE, None, None),
        "constructed: short hex-looking name stays as sent",
    ),
    ('+COPS: 0,0,"",7', Cops(0, 0, None, 7, LTE), "constructed: empty name"),
    (
        'AT+COPS?\r\r\n+COPS: 0,0,"CHN-UNICOM",7\r\n\r\nOK\r\n',
        Cops(0, 0, "CHN-UNICOM", 7, LTE, None, None),
        "QAT 06 §6.1 with echo and OK",
    ),
]


@pytest.mark.parametrize(("text", "expected", "source"), COPS)
def test_parse_cops(text: str, expected: Cops, source: str) -> None:
    assert parse_cops(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "+COPS:",
        "+COPS: x,0",
        '+COPS: (2,"T-Mobile","TMO","31026",0),,(0-4),(0-2)',  # MM-tests: the =? list
        '"CHN-UNICOM"',
        "AT+COPS?\r\r\nERROR\r\n",
    ],
)
def test_parse_cops_malformed(text: str) -> None:
    with pytest.raises(ParseError):
        parse_cops(text)


UCS2 = [
    ("004D006F007600690073007400610072", "Movistar"),  # MM-tests cops ublox_lara
    ("0056006500720069007A006F006E", "Verizon"),  # MM-tests normalize_operator
    ("003300310031003400380030", "311480"),  # MM-tests normalize_operator
    ("00420061006C0061006E00630065", "Balance"),  # vendors.md §1.7 USSD example
    ("4E2D56FD79FB52A8", "中国移动"),  # constructed: CHINA MOBILE in UCS-2
    ("Verizon", None),  # not hex
    ("004D006", None),  # length not a multiple of 4
    ("", None),
    ("D800", None),  # a lone surrogate
    ("000A", None),  # a control character
]


@pytest.mark.parametrize(("value", "expected"), UCS2)
def test_decode_ucs2_hex(value: str, expected: str | None) -> None:
    assert decode_ucs2_hex(value) == expected
