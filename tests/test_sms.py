"""SMS PDU decoding, +CMGL/+CMGR, reassembly and the SMS-SUBMIT encoder (drivers/parsers/sms.py).

PDUs marked "MM-tests" are from ModemManager's src/tests/test-sms-part-3gpp.c and
src/tests/test-modem-helpers.c, with the values those tests assert.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.errors import ParseError
from drivers.parsers.gsm7 import GSM7_BASIC, GSM7_EXTENSION
from drivers.parsers.sms import (
    ConcatInfo,
    SmsMessage,
    decode_pdu,
    encode_submit,
    join_concatenated,
    parse_cmgl,
    parse_cmgr,
)


def tz(hours: float) -> timezone:
    return timezone(timedelta(hours=hours))


# --- real PDUs ---------------------------------------------------------------------------

# Classic tutorial PDU (23.040 SMS-DELIVER walk-through, "How are you?" from +31641600986).
HOW_ARE_YOU = "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07"
# MM-tests test_pdu1: GSM-7 with extension characters.
PDU1 = (
    "07912104442961F4040B916171957291F80000112082110505"
    "0A6AC8B2BC7C9A83C220F6DB7D2ECB41EDF27C1E3E97411BDE06754FD3D1A0F9BB5D0695F1F4B29B5C"
    "2683C6E8B03C3CA697E5F34D6AE303D1D1F2F7DD0D4ABB59A0797D8C0685E7A00028EC26832A960B28"
    "EC2683BE6050780EBA97D96C17"
)
# MM-tests test_pdu2: alphanumeric sender (type 0xD0), UCS2.
PDU2 = "07919730071111F10414D04937BD2C7797E9D3E614000811309291024061080442043504410442"
# MM-tests test_pdu3 and its variants.
PDU3 = "07912143658709F1040B918100551512F20000111010214365000AE8329BFD4697D9EC37"
PDU3_NATL = "07912143658709F1040B818100551512F20000111010214365000AE8329BFD4697D9EC37"
PDU3_8BIT = "07912143658709F1040B918100551512F20004111010214365000AE8329BFD4697D9EC37DE"
PDU3_SHORT = "07912143658709F1040B918100551512F20000111010214365000BE8329BFD4697D9EC37"
# MM-tests test_pdu_dcsf1: DCS 0xF1 (group F, GSM-7, class 1), 160 septets.
PDU_DCSF1 = (
    "07913306091093F0040485810000F111604231805180A049B7F90D9A1AA5A01668F8769BD3E4B29B9E2E"
    "B359A03FC85D06A9C3ED707A0EA2CBC3EE79BB4CA7CBCBA05643617DA7C76990FD4D979741EE77DD5E0E"
    "D741ED371D442E83E0E1F9BC0CD281E677D9B84C06C1DF7539E85C9097E520FB9B2E2F83C6EF369C5E06"
    "4D8D52D0BC2E07DDEF77D7DC2C7799E5A0771D040FCB41F402BB0047BFDD6550B80ECAD966"
)
# MM-tests test_pdu_udhi: KPN NL welcome, UDH with a 16-bit concatenation reference.
PDU_UDHI = (
    "07911356131313F64004850120390011609232239180A006080400100201D7327BFD6EB340E232"
    "1BF46E83EA7790F59D1E97DBE1341B442F83C465763D3DA797E56537C81D0ECB41AB59CC1693C1"
    "6031D96C064241E5656838AF03A96230982A269BCD462917C8FA4E8FCBED709A0D7ABBE9F6B0FB"
    "5C7683D27350984D4FABC9A0B33C4C4FCF5D20EBFB2D079DCB62793DBD06D9C36E50FB2D4E97D9"
    "A0B49B5E96BBCB"
)
# MM-tests test_pdu_multipart: two parts, 8-bit reference 0x4C.
MULTI_1 = (
    "07912160130320F5440B916171056429F5000021405291650569A00500034C0201A9E8F41C949E"
    "83C2207B599E07B1DFEE33885E9ED341E4F23C7D7697C920FA1B54C697E5E3F4BC0C6AD7D9F434"
    "081E96D341E3303C2C4EB3D3F4BC0B94A483E6E8779D4D06CDD1EF3BA80E0785E7A0B7BB0C6A97"
    "E7F3F0B9CC02B9DF7450780EA2DFDF2C50780EA2A3CBA0BA9B5C96B3F369F71954768FDFE4B4FB"
    "0C9297E1F2F2BCECA6CF41"
)
MULTI_2 = (
    "07912160130320F6440B916171056429F5000021405291651569320500034C0202E9E8301D4447"
    "9741F0B09C3E0785E56590BCCC0ED3CB6410FD0D7ABBCBA0B0FB4D4797E52E10"
)
MULTI_TEXT_1 = (
    "This is a very long test designed to exercise multi part capability. It should "
    "show up as one message, not as two, as the underlying encoding represents "
)
MULTI_TEXT_2 = "that the parts are related to one another. "
# MM-tests test_pdu_stored_by_us: a stored SMS-SUBMIT, UCS2.
STORED_SUBMIT = (
    "002100098136397339F70008224F60597D4F60597D4F60597D4F60597D4F60597D4F60597D4F60597D4F60597D4F60"
)
# MM-tests test_pdu_not_stored: an SMS-STATUS-REPORT.
STATUS_REPORT = "07914356060013F1065A098136397339F7219011700463802190117004638030"
# MM-tests test_cmgl_response_generic (Vodafone ES); text read by this decoder.
VODAFONE = (
    "07914306073011F00405812261F700003130916191314095C27"
    "4D96D2FBBD3E437280CB2BEC961F3DB5D76818EF2F0381D9E83E06F39A8CC2E9FD372F"
    "77BEE0249CBE37A594E0E83E2F532085E2F93CB73D0B93CA7A7DFEEB01C447F93DF731"
    "0BD3E07CDCB727B7A9C7ECF41E432C8FC96B7C32079189E26874179D0F8DD7E93C3A0B"
    "21B246AA641D637396C7EBBCB22D0FD7E77B5D376B3AB3C07"
)
# MM-tests test_cmgr_response_telit (Telit HE910).
TELIT = (
    "07916163838428F9040B916121021021F7000051905141642"
    "20A23C4B0BCFD5E8740C4B0BCFD5E83C26E3248196687C9A0301D440DBBC3677918"
)
PANTECH = (
    "079100F40D1101000F001000B917118336058F300001954747A0E4ACF41F27298CDCE83C6EF371B0402814020"
)


@pytest.mark.parametrize(
    ("pdu", "smsc", "sender", "timestamp", "text", "dcs"),
    [
        (  # tutorial
            HOW_ARE_YOU,
            "+31624000000",
            "+31641600986",
            datetime(2002, 8, 26, 19, 37, 41, tzinfo=tz(0)),
            "How are you?",
            0x00,
        ),
        (  # MM-tests test_pdu1
            PDU1,
            "+12404492164",
            "+16175927198",
            datetime(2011, 2, 28, 11, 50, 50, tzinfo=tz(-5)),
            "Here's a longer message [{with some extended characters}] "
            "thrown in, such as £ and ΩΠΨ and §¿ as well.",
            0x00,
        ),
        (  # MM-tests test_pdu2
            PDU2,
            "+79037011111",
            "InternetSMS",
            datetime(2011, 3, 29, 19, 20, 4, tzinfo=tz(4)),
            "тест",
            0x08,
        ),
        (  # MM-tests test_pdu3
            PDU3,
            "+12345678901",
            "+18005551212",
            datetime(2011, 1, 1, 12, 34, 56, tzinfo=tz(0)),
            "hellohello",
            0x00,
        ),
        (  # MM-tests test_pdu3_natl: type 0x81, no "+"
            PDU3_NATL,
            "+12345678901",
            "18005551212",
            datetime(2011, 1, 1, 12, 34, 56, tzinfo=tz(0)),
            "hellohello",
            0x00,
        ),
        (  # MM-tests test_pdu_dcsf1
            PDU_DCSF1,
            "+33609001390",
            "1800",
            datetime(2011, 6, 24, 13, 8, 15, tzinfo=tz(2)),
            "Info SFR - Confidentiel, à ne jamais transmettre -\r\n"
            "Voici votre nouveau mot de passe : sw2ced pour gérer "
            "votre compte SFR sur www.sfr.fr ou par téléphone au 963",
            0xF1,
        ),
        (  # MM-tests test_cmgr_response_telit
            TELIT,
            "+16363848829",
            "+16122001127",
            datetime(2015, 9, 15, 14, 46, 22, tzinfo=tz(-5)),
            "Darmok! Darmok and Jalad at Tanagra",
            0x00,
        ),
        (  # MM-tests test_cmgl_response_generic
            VODAFONE,
            "+34607003110",
            "22167",
            datetime(2013, 3, 19, 16, 19, 13, tzinfo=tz(1)),
            "Bienvenido a Vodafone. Gracias por elegirnos. Recuerda que puedes gestionar "
            'todos tus servicios de forma rapida y comoda en "Mi Vodafone" www.mivf.es',
            0x00,
        ),
    ],
)
def test_decode_deliver(
    pdu: str, smsc: str, sender: str, timestamp: datetime, text: str, dcs: int
) -> None:
    message = decode_pdu(pdu)
    assert message.smsc == smsc
    assert message.sender == sender
    assert message.timestamp == timestamp
    assert message.timestamp is not None
    assert message.timestamp.utcoffset() == timestamp.utcoffset()
    assert message.text == text
    assert message.dcs == dcs
    assert message.concat is None
    assert message.kind == "deliver"
    assert message.complete


def test_decode_8bit() -> None:
    # MM-tests test_pdu3_8bit: the ten data octets, one character each.
    message = decode_pdu(PDU3_8BIT)
    assert message.dcs == 0x04
    assert message.text.encode("latin-1") == bytes.fromhex("E8329BFD4697D9EC37DE")


def test_decode_udh_16bit_reference() -> None:
    message = decode_pdu(PDU_UDHI)  # MM-tests test_pdu_udhi
    assert message.sender == "1002"
    assert message.concat == ConcatInfo(ref=0x0010, total=2, seq=1)
    assert message.text == (
        "Welkom, bel om uw Voicemail te beluisteren naar +31612001233"
        " (PrePay: *100*1233#). Voicemail ontvangen is altijd gratis."
        " Voor gebruik van mobiel interne"
    )


def test_decode_udh_16bit_reference_high_octet() -> None:
    # MM-tests test_pdu_udhi with the reference octets changed from 00 10 to AB CD.
    pdu = PDU_UDHI.replace("06080400100201", "060804ABCD0201")
    assert pdu != PDU_UDHI
    assert decode_pdu(pdu).concat == ConcatInfo(ref=0xABCD, total=2, seq=1)


def test_decode_udh_8bit_reference() -> None:
    first, second = decode_pdu(MULTI_1), decode_pdu(MULTI_2)  # MM-tests test_pdu_multipart
    assert first.concat == ConcatInfo(ref=0x4C, total=2, seq=1)
    assert second.concat == ConcatInfo(ref=0x4C, total=2, seq=2)
    assert first.text == MULTI_TEXT_1
    assert second.text == MULTI_TEXT_2
    assert first.timestamp == datetime(2012, 4, 25, 19, 56, 50, tzinfo=tz(-4))


def test_decode_stored_submit() -> None:
    message = decode_pdu(STORED_SUBMIT)  # MM-tests test_pdu_stored_by_us
    assert message.kind == "submit"
    assert message.smsc is None
    assert message.sender == "639337937"
    assert message.timestamp is None
    assert message.text == "你好你好你好你好你好你好你好你好你"


@pytest.mark.parametrize(
    ("pdu", "text"),
    [
        # MM-tests test_create_pdu_ucs2_no_smsc: TP-VP relative present (first octet 0x11).
        (
            "0011000B915155551532F4000800"
            "3A04140430002004370434044004300432044104420432044304350442"
            "0020043A043E0440043E043B044C002C002004340435044204"
            "3A04300021",
            "Да здравствует король, детка!",
        ),
        # MM-tests test_create_pdu_gsm_no_smsc.
        (
            "0011000B915155551532F400000036C834888E2ECBCB2E978B5A2F8362373A1AA40CBB41"
            "32584C0682D57433982B8603C1DB20D4B1495DC552200804028100",
            "Hi there...Tue 17th Jan 2012 05:30.18 pm (GMT+1) ΔΔΔΔΔ",
        ),
    ],
)
def test_decode_submit_with_validity_period(pdu: str, text: str) -> None:
    message = decode_pdu(pdu)
    assert message.kind == "submit"
    assert message.sender == "+15555551234"
    assert message.text == text


@pytest.mark.parametrize(
    "pdu",
    [
        PDU3_SHORT,  # MM-tests test_pdu_insufficient_data: UDL 11 septets, 9 octets
        STATUS_REPORT,  # MM-tests test_pdu_not_stored: not a DELIVER/SUBMIT
        PDU3[:-1],  # odd number of hex digits
        "07912143658709F1040B91",  # cut inside the header
        "ZZ" + PDU3[2:],
        "",
        # UDHI set but the header length runs past the user data.
        "07912143658709F1440B918100551512F20004111010214365000210FF",
        # UCS2 with an odd octet count.
        "07912143658709F1040B918100551512F200081110102143650003004100",
    ],
)
def test_decode_malformed(pdu: str) -> None:
    with pytest.raises(ParseError):
        decode_pdu(pdu)


@pytest.mark.parametrize(
    "scts",
    [
        "11311021436500",  # month 13
        "1110F021436500",  # a day digit that is not a digit
        "111010214365F0",  # time zone digit out of range
    ],
)
def test_invalid_timestamp_is_none_not_an_error(scts: str) -> None:
    pdu = PDU3.replace("11101021436500", scts)
    assert pdu != PDU3
    message = decode_pdu(pdu)
    assert message.timestamp is None
    assert message.text == "hellohello"


# --- +CMGL / +CMGR -----------------------------------------------------------------------


def test_parse_cmgl_one() -> None:
    # MM-tests test_cmgl_response_generic, with the final OK a real answer ends in.
    text = f"+CMGL: 0,1,,147\r\n{VODAFONE}\r\n\r\nOK\r\n"
    assert parse_cmgl(text) == [(0, 1, VODAFONE)]


def test_parse_cmgl_several_with_echo() -> None:
    # MM-tests test_cmgl_response_generic_multiple (echo and OK added as on the wire).
    text = (
        "AT+CMGL=4\r\r\n"
        + "".join(f"+CMGL: {index},1,,147\r\n{VODAFONE}\r\n" for index in range(3))
        + "\r\nOK\r\n"
    )
    assert parse_cmgl(text) == [(0, 1, VODAFONE), (1, 1, VODAFONE), (2, 1, VODAFONE)]


def test_parse_cmgl_without_alpha_field() -> None:
    # MM-tests test_cmgl_response_pantech: "+CMGL: <index>,<stat>,<length>".
    text = f"+CMGL: 17,3,35\r\n{PANTECH}\r\n+CMGL: 15,3,35\r\n{PANTECH}\r\n"
    assert parse_cmgl(text) == [(17, 3, PANTECH), (15, 3, PANTECH)]


def test_parse_cmgl_quoted_alpha_and_empty_list() -> None:
    text = f'+CMGL: 4,0,"Vodafone, ES",147\r\n{VODAFONE.lower()}\r\nOK\r\n'
    assert parse_cmgl(text) == [(4, 0, VODAFONE)]
    assert parse_cmgl("\r\nOK\r\n") == []


@pytest.mark.parametrize(
    "text",
    [
        "+CMGL: 0,1,,147\r\n\r\nOK\r\n",  # header without its PDU
        f"+CMGL: 0,1,,147\r\n{VODAFONE}\r\n+CMGL: 1,1,,147\r\n",
        "+CMS ERROR: 321\r\n",  # 27.005 invalid memory index (QAT 15.5)
        '+CMGL: 0,"REC READ","+8613800000000",,"24/01/01,10:00:00+32"\r\nhi\r\n',  # text mode
    ],
)
def test_parse_cmgl_malformed(text: str) -> None:
    with pytest.raises(ParseError):
        parse_cmgl(text)


def test_parse_cmgr() -> None:
    # MM-tests test_cmgr_response_telit: "" in <alpha>, PDU on the next line.
    assert parse_cmgr(f'+CMGR: 0,"",50\r\n{TELIT}\r\n\r\nOK\r\n') == (0, TELIT)
    # MM-tests test_cmgr_response_generic: the PDU after a space on the same line.
    assert parse_cmgr(f"+CMGR: 1,,147 {VODAFONE}") == (1, VODAFONE)


@pytest.mark.parametrize("text", ["\r\nOK\r\n", "+CMGR: 0,,50\r\n", "+CMS ERROR: 321\r\n"])
def test_parse_cmgr_malformed(text: str) -> None:
    with pytest.raises(ParseError):
        parse_cmgr(text)


# --- reassembly --------------------------------------------------------------------------


def test_join_real_multipart_in_any_order() -> None:
    first, second = decode_pdu(MULTI_1), decode_pdu(MULTI_2)
    other = decode_pdu(PDU3)
    joined = join_concatenated([second, other, first, second])
    assert [message.text for message in joined] == [MULTI_TEXT_1 + MULTI_TEXT_2, "hellohello"]
    assert joined[0].complete
    assert joined[0].timestamp == first.timestamp  # the first part's


def test_join_incomplete_set_is_partial() -> None:
    joined = join_concatenated([decode_pdu(MULTI_2)])
    assert len(joined) == 1
    assert joined[0].text == MULTI_TEXT_2
    assert not joined[0].complete


def test_join_keeps_different_senders_apart() -> None:
    first = decode_pdu(MULTI_1)
    stranger = SmsMessage(
        sender="+8610086",
        timestamp=None,
        text="x",
        concat=ConcatInfo(ref=0x4C, total=2, seq=2),
        dcs=0,
    )
    joined = join_concatenated([first, stranger])
    assert [message.complete for message in joined] == [False, False]


# --- SMS-SUBMIT --------------------------------------------------------------------------

_SCTS = bytes.fromhex("62402121436523")  # 2026-04-12 12:34:56 +08:00 (0x23: 32 quarters)
_SCTS_TIME = datetime(2026, 4, 12, 12, 34, 56, tzinfo=tz(8))


def submit_to_deliver(pdu_hex: str, tpdu_length: int) -> str:
    """The SMS-DELIVER a recipient would get for an SMS-SUBMIT without validity period."""
    data = bytes.fromhex(pdu_hex)
    assert data[0] == 0x00  # SMSC from the SIM
    tpdu = data[1:]
    assert len(tpdu) == tpdu_length
    first_octet = tpdu[0]
    assert first_octet & 0x03 == 0x01  # SMS-SUBMIT
    assert first_octet & 0x18 == 0x00  # no TP-VP
    address_length = 2 + (tpdu[2] + 1) // 2
    address = tpdu[2 : 2 + address_length]
    pid_dcs = tpdu[2 + address_length : 4 + address_length]
    user_data = tpdu[4 + address_length :]
    deliver = bytes((first_octet & 0x40,)) + address + pid_dcs + _SCTS + user_data
    return "00" + deliver.hex().upper()


def test_encode_gsm7_matches_modemmanager() -> None:
    # MM-tests test_create_pdu_gsm_no_validity: SMSC 00, no TP-VP, Δ from the default table.
    expected = "0001000B915155661632F400001954747A0E4ACF41F27298CDCE83C6EF371B0481402010"
    assert encode_submit("+15556661234", "This is really cool ΔΔΔΔΔ") == [(expected, 35)]


def test_encode_ucs2_user_data_matches_modemmanager() -> None:
    # MM-tests test_create_pdu_ucs2_no_smsc: same DA, PID, DCS 08 and user data; MM also
    # writes a validity period octet, which this encoder leaves to the SMSC.
    mm_user_data = (
        "3A04140430002004370434044004300432044104420432044304350442"
        "0020043A043E0440043E043B044C002C002004340435044204"
        "3A04300021"
    )
    [(pdu, length)] = encode_submit("+15555551234", "Да здравствует король, детка!")
    assert pdu.startswith("0001000B915155551532F40008")
    assert pdu.endswith(mm_user_data)
    assert length == len(pdu) // 2 - 1


@pytest.mark.parametrize(
    ("number", "address_hex"),
    [
        ("+19037029920", "0B919130079229F0"),  # MM-tests test_address_encode_intl
        ("9037029920", "0A810973209902"),  # MM-tests ..._unknown
        ("+86 138-0000-0000", "0D91683108000000F0"),
    ],
)
def test_encode_address(number: str, address_hex: str) -> None:
    [(pdu, _)] = encode_submit(number, "x")
    assert pdu[6:].startswith(address_hex)
    assert decode_pdu(pdu).sender == "".join(c for c in number if c not in " -")


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        # MM-tests text-split max-single-pdu / two-pdu: 160 GSM septets fit, 161 do not.
        ("0123456789" * 16, ["0123456789" * 16]),
        ("0123456789" * 16 + "0", ["0123456789" * 15 + "012", "34567890"]),
        # MM-tests max-single-pdu-UCS2 / two-pdu-UCS2: 70 UCS2 units fit, 71 do not.
        ("你好" * 35, ["你好" * 35]),
        ("你好" * 35 + "好", ["你好" * 33 + "你", "好你好好"]),
        # Extension characters take two septets and are never cut in half.
        ("€" * 80, ["€" * 80]),
        ("€" * 81, ["€" * 76, "€" * 5]),
        ("", [""]),
    ],
)
def test_encode_split(text: str, parts: list[str]) -> None:
    pdus = encode_submit("+8613800000000", text, ref=0x2A)
    messages = [decode_pdu(submit_to_deliver(pdu, length)) for pdu, length in pdus]
    assert [message.text for message in messages] == parts
    for pdu, length in pdus:
        # 14 octets before the user data for a 13-digit number; user data at most 140.
        assert length - 14 <= 140
        assert len(pdu) == 2 * (length + 1)
    if len(parts) > 1:
        assert [message.concat for message in messages] == [
            ConcatInfo(ref=0x2A, total=len(parts), seq=seq) for seq in range(1, len(parts) + 1)
        ]
        assert join_concatenated(reversed(messages))[0].text == text
    else:
        assert messages[0].concat is None


def test_chinese_carrier_notice_two_parts_round_trip() -> None:
    notice = (
        "【中国移动】尊敬的客户，您本月套餐内流量已使用80%，剩余流量6.00MB。"
        "如需继续使用，请发送KTLL到10086办理流量加油包，详情请咨询10086或登录中国移动APP查询。"
    )
    pdus = encode_submit("10086", notice, ref=7)
    assert len(pdus) == 2
    messages = [decode_pdu(submit_to_deliver(pdu, length)) for pdu, length in pdus]
    assert all(message.dcs == 0x08 for message in messages)
    assert all(message.sender == "10086" for message in messages)
    assert all(message.timestamp == _SCTS_TIME for message in messages)
    assert len(messages[0].text) == 67
    [joined] = join_concatenated(messages[::-1])
    assert joined.text == notice
    assert joined.complete
    assert joined.concat == ConcatInfo(ref=7, total=2, seq=1)


def test_encode_keeps_surrogate_pairs_whole() -> None:
    text = "a" + "😀" * 40  # 81 UTF-16 units
    pdus = encode_submit("+8613800000000", text)
    messages = [decode_pdu(submit_to_deliver(pdu, length)) for pdu, length in pdus]
    assert len(messages) == 2
    assert join_concatenated(messages)[0].text == text


def test_encode_rejects_bad_arguments() -> None:
    with pytest.raises(ParseError):
        encode_submit("+86abc", "x")
    with pytest.raises(ParseError):
        encode_submit("", "x")
    with pytest.raises(ValueError):
        encode_submit("+8613800000000", "x", ref=256)
    with pytest.raises(ValueError):
        encode_submit("+8613800000000", "x" * (153 * 255 + 1))


GSM_CHARS = [char for code, char in enumerate(GSM7_BASIC) if code != 0x1B] + list(
    GSM7_EXTENSION.values()
)


@settings(max_examples=60, deadline=None)
@given(text=st.lists(st.sampled_from(GSM_CHARS), max_size=400).map("".join))
def test_round_trip_gsm_text(text: str) -> None:
    pdus = encode_submit("+8613800000000", text, ref=200)
    messages = [decode_pdu(submit_to_deliver(pdu, length)) for pdu, length in pdus]
    assert all(message.dcs == 0x00 for message in messages)
    [joined] = join_concatenated(messages)
    assert joined.text == text
    assert joined.complete


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(
        alphabet=st.characters(max_codepoint=0xFFFF, blacklist_categories=("Cs",)), max_size=300
    )
)
def test_round_trip_unicode_text(text: str) -> None:
    pdus = encode_submit("10086", text, ref=1)
    messages = [decode_pdu(submit_to_deliver(pdu, length)) for pdu, length in pdus]
    [joined] = join_concatenated(messages)
    assert joined.text == text
    assert joined.complete
