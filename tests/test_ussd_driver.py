"""drivers/ussd.py against the simulated modem over pyserial (sim://): the request as each
vendor takes it, the reply caught from the +CUSD URC, refusals and timeouts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from drivers.connect import ModemOptions, connect
from drivers.errors import AtCommandError, AtTimeout, CmeError, ParseError
from drivers.generic import Generic3gppModem
from drivers.simulator.profiles import messaging
from drivers.ussd import query_balance, read_charset

CHINESE = "尊敬的客户，您的账户余额：8.50元。"


class Wire:
    """What the host wrote to the port, by wrapping the port's write."""

    def __init__(self, driver: Generic3gppModem) -> None:
        self.data = b""
        port = driver.channel.port
        original = port.write

        def write(data: bytes) -> int | None:
            self.data += bytes(data)
            return original(data)

        port.write = write  # type: ignore[method-assign]


def open_driver(vendor: str) -> Generic3gppModem:
    return connect(ModemOptions(port=f"sim://{vendor}", driver=vendor, timeout=2.0))


@pytest.fixture
def quectel() -> Iterator[Generic3gppModem]:
    driver = open_driver("quectel")
    yield driver
    driver.channel.close()


@pytest.mark.parametrize(
    ("vendor", "reply", "request_hex"),
    [
        # UCS2 reply, DCS 72 (vendors.md §1.7: MM_MODEM_GSM_USSD_SCHEME_UCS2 = 0x48).
        ("quectel", CHINESE, b'AT+CUSD=1,"*101#",15\r'),
        # GSM-7 text as it is, DCS 15 (vendors.md §1.7, QAT 15 URC table #23).
        ("generic", "Balance: 8.50 CNY", b'AT+CUSD=1,"*101#",15\r'),
        # Huawei packed GSM-7 both ways: "*101#" -> AA182C3602 (vendors.md §1.7, MM huawei
        # plugin encode/decode).
        ("huawei", "Balance: 8.50 CNY", b'AT+CUSD=1,"AA182C3602",15\r'),
        ("huawei", CHINESE, b'AT+CUSD=1,"AA182C3602",15\r'),
    ],
)
def test_balance_reply_decoded_per_vendor(vendor: str, reply: str, request_hex: bytes) -> None:
    driver = open_driver(vendor)
    try:
        driver.channel.port.modem.apply({"ussd_reply": reply})
        wire = Wire(driver)
        answer = query_balance(driver.channel, "*101#", packed=driver.ussd_packed, timeout=3)
        assert answer.status == 0
        assert answer.text == reply
        assert request_hex in wire.data
    finally:
        driver.channel.close()


def test_only_huawei_packs() -> None:
    for vendor, packed in (("huawei", True), ("quectel", False)):
        driver = open_driver(vendor)
        assert driver.ussd_packed is packed
        driver.channel.close()


def test_huawei_refuses_the_unpacked_request() -> None:
    driver = open_driver("huawei")
    with pytest.raises(AtCommandError):
        query_balance(driver.channel, "*101#", packed=False, timeout=1)
    driver.channel.close()


def test_reply_in_the_same_read_as_ok_is_caught(
    quectel: Generic3gppModem, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No delay: the URC follows OK in one burst, so the channel hands it on inside
    # command() and only the temporary listener sees it.
    monkeypatch.setattr(messaging, "USSD_DELAY", 0.0)
    quectel.channel.port.modem.apply({"ussd_reply": CHINESE})
    assert query_balance(quectel.channel, "*101#", timeout=1).text == CHINESE


def test_gsm7_reply_under_ucs2_charset_is_hex_decoded(quectel: Generic3gppModem) -> None:
    quectel.channel.command('AT+CSCS="UCS2"')
    assert read_charset(quectel.channel) == "UCS2"
    quectel.channel.port.modem.apply({"ussd_reply": "Balance 3.20"})
    assert query_balance(quectel.channel, "*101#", timeout=2).text == "Balance 3.20"


def test_not_supported_reply_has_no_text(quectel: Generic3gppModem) -> None:
    quectel.channel.port.modem.apply({"ussd_reply": ""})
    answer = query_balance(quectel.channel, "*101#", timeout=2)
    assert (answer.status, answer.text, answer.final) == (4, None, True)


def test_no_network_is_a_cme_error(quectel: Generic3gppModem) -> None:
    quectel.channel.port.modem.apply({"registration": "searching"})
    with pytest.raises(CmeError) as caught:
        query_balance(quectel.channel, "*101#", timeout=1)
    assert caught.value.code == 30


def test_no_reply_times_out_and_ends_the_session(
    quectel: Generic3gppModem, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(messaging, "USSD_DELAY", 30.0)
    wire = Wire(quectel)
    with pytest.raises(AtTimeout):
        query_balance(quectel.channel, "*101#", timeout=0.3)
    assert b"AT+CUSD=2\r" in wire.data
    # The channel is still in step.
    assert quectel.channel.command("AT+CSQ").lines == ("+CSQ: 20,99",)


def test_a_code_that_cannot_be_sent_is_refused_before_sending(quectel: Generic3gppModem) -> None:
    wire = Wire(quectel)
    with pytest.raises(ParseError):
        query_balance(quectel.channel, '*10"1#', timeout=1)
    assert b"CUSD" not in wire.data
