"""drivers/sms_reader.py and drivers/sms_sender.py against the simulated modem (sim://):
listing stored messages in PDU mode, remembering what was seen, and AT+CMGS with its prompt."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from drivers import sms_sender
from drivers.connect import ModemOptions, connect
from drivers.errors import AtTimeout, CmsError, ParseError
from drivers.generic import Generic3gppModem
from drivers.parsers.sms import decode_pdu
from drivers.simulator.profiles.messaging import deliver_pdus
from drivers.sms_reader import SmsInbox, list_messages, list_parts
from drivers.sms_sender import send_sms

# MM-tests test_pdu2: alphanumeric sender "InternetSMS", UCS2 "тест".
PDU2 = "07919730071111F10414D04937BD2C7797E9D3E614000811309291024061080442043504410442"
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
MULTI_TEXT = (
    "This is a very long test designed to exercise multi part capability. It should "
    "show up as one message, not as two, as the underlying encoding represents "
    "that the parts are related to one another. "
)
NOTICE = "尊敬的客户，您好！截至11月23日08时，您本月套餐内国内通用流量已使用80%，剩余6.00MB。"
CHINA = timezone(timedelta(hours=8))


@pytest.fixture
def driver() -> Iterator[Generic3gppModem]:
    urcs: list[str] = []
    modem = connect(ModemOptions(port="sim://quectel", timeout=1.0), on_urc=urcs.append)
    modem.urcs = urcs  # type: ignore[attr-defined]
    yield modem
    modem.channel.close()


def store(driver: Generic3gppModem, *messages: dict) -> None:
    driver.channel.port.modem.apply({"sms": list(messages)})


def test_captured_pdus_are_listed_and_joined(driver: Generic3gppModem) -> None:
    store(driver, {"pdu": PDU2}, {"pdu": MULTI_1}, {"pdu": MULTI_2})
    assert [p.index for p in list_parts(driver.channel)] == [0, 1, 2]
    messages = list_messages(driver.channel)
    assert [(m.sender, m.text) for m in messages] == [
        ("InternetSMS", "тест"),
        ("+16175046925", MULTI_TEXT),
    ]


def test_chinese_notice_round_trips_as_ucs2(driver: Generic3gppModem) -> None:
    long_text = NOTICE * 2  # more than 70 UCS2 characters: two concatenated parts
    store(driver, {"sender": "10086", "text": long_text, "time": "2026-11-23T08:00:05+08:00"})
    parts = list_parts(driver.channel)
    assert len(parts) == 2 and {p.message.dcs for p in parts} == {0x08}
    (message,) = list_messages(driver.channel)
    assert message.text == long_text
    assert message.sender == "10086"
    assert message.timestamp == datetime(2026, 11, 23, 8, 0, 5, tzinfo=CHINA)


def test_deliver_encoder_agrees_with_the_decoder() -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5)))
    ((pdu, length),) = deliver_pdus("+8613800138000", "Hello {world}", when)
    message = decode_pdu(pdu)
    assert (message.sender, message.text, message.timestamp) == (
        "+8613800138000",
        "Hello {world}",
        when,
    )
    assert length == len(pdu) // 2 - 9  # SMSC 08 91 683108100005F0: nine octets


def test_inbox_gives_each_message_once_and_remembers(driver: Generic3gppModem) -> None:
    store(driver, {"sender": "10086", "text": NOTICE, "time": "2026-11-23T08:00:00+08:00"})
    inbox = SmsInbox()
    assert [m.text for m in inbox.read_new(driver.channel)] == [NOTICE]
    assert inbox.read_new(driver.channel) == []
    # A restart with the persisted keys sees nothing new either.
    assert SmsInbox(inbox.seen).read_new(driver.channel) == []

    driver.channel.port.modem.apply({"sms": {"sender": "10010", "text": "剩余流量1MB"}})
    driver.channel.wait_urcs(0.2)
    assert driver.urcs[-1] == '+CMTI: "ME",1'  # type: ignore[attr-defined]
    assert [m.text for m in inbox.read_new(driver.channel)] == ["剩余流量1MB"]


def test_inbox_holds_a_message_back_until_all_parts_are_in(driver: Generic3gppModem) -> None:
    store(driver, {"pdu": MULTI_1})
    inbox = SmsInbox()
    assert inbox.read_new(driver.channel) == []
    driver.channel.port.modem.apply({"sms": {"pdu": MULTI_2}})
    assert [m.text for m in inbox.read_new(driver.channel)] == [MULTI_TEXT]
    assert inbox.read_new(driver.channel) == []


def test_listing_never_deletes(driver: Generic3gppModem) -> None:
    store(driver, {"pdu": PDU2})
    list_messages(driver.channel)
    list_messages(driver.channel)
    assert len(driver.channel.port.modem.state.sms) == 1


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("Data plan of SIM 8986...2474 is used up.", 1),  # GSM-7, one part
        ("SIM 8986…2474 的流量已用完，收款可能中断。", 1),  # UCS2, one part
        ("SIM 8986…2474 的流量已用完，收款可能中断。请尽快充值。" * 3, 2),  # UCS2, two parts
        ("x" * 200, 2),  # GSM-7, 153 + 47
    ],
)
def test_send_records_the_decoded_text(driver: Generic3gppModem, text: str, parts: int) -> None:
    references = send_sms(driver.channel, "+8613800000000", text)
    assert len(references) == parts
    assert driver.channel.port.modem.state.sent_sms == (
        {"to": "+8613800000000", "text": text, "parts": parts},
    )
    # The channel is in step after the prompt exchanges.
    assert driver.channel.command("AT+CSQ").lines == ("+CSQ: 20,99",)


def test_message_references_follow_the_modem(driver: Generic3gppModem) -> None:
    assert send_sms(driver.channel, "10086", "CXLL") == [0]
    assert send_sms(driver.channel, "10086", "y" * 170) == [1, 2]


def test_no_network_is_a_cms_error(driver: Generic3gppModem) -> None:
    driver.channel.port.modem.apply({"registration": "denied"})
    with pytest.raises(CmsError) as caught:
        send_sms(driver.channel, "+8613800000000", "test")
    assert caught.value.code == 331
    assert driver.channel.port.modem.state.sent_sms == ()


def test_bad_number_is_refused_before_anything_is_sent(driver: Generic3gppModem) -> None:
    with pytest.raises(ParseError):
        send_sms(driver.channel, "support desk", "test")


def test_no_prompt_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sms_sender, "PROMPT_TIMEOUT", 0.2)
    # A short channel timeout keeps the re-sync after the timeout short too.
    driver = connect(ModemOptions(port="sim://quectel", timeout=0.2))
    driver.channel.command("AT+CMGF=0")
    driver.channel.port.modem.apply({"event": "hang"})
    with pytest.raises(AtTimeout):
        sms_sender.send_pdu(driver.channel, "0001000B913168000000F00000000474747A0E", 17)
    driver.channel.close()
