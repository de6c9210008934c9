"""agent/carrier_sms.py: carrier notices recognised, kept for their validity, turned into
findings with the carrier's own text; in-process on sim://quectel and end to end through
the simulator's control socket and `posagent check`.

The notice texts below are written in the Chinese carriers' usual template wording (the
phrases DEFAULT_PATTERNS documents); they are examples of that wording, not captures.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import run_cli, start_simulator, stop_simulator

from agent.carrier_sms import DEFAULT_PATTERNS, CarrierSmsWatcher, notice_patterns, recognise
from agent.config import parse_config_text
from agent.store import StateStore
from drivers.generic import Generic3gppModem
from drivers.parsers.sms import SmsMessage

CHINA = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=CHINA)
ICCID = "89860025128306012474"

LOW_80 = "【中国移动】尊敬的客户，截至11月23日08时，您当月套餐内国内通用流量已使用80%，剩余6.00MB。"
LOW_LEFT = "【中国联通】您好，您的剩余国内流量为5.2MB，为避免产生套餐外费用，可回复KTLL办理流量包。"
USED_UP = "【中国电信】尊敬的用户，您的套餐内流量已用完，超出部分按3元/GB收取。"
EXPIRING = "【中国移动】尊敬的客户，您的物联网卡套餐将于2026年11月30日到期，请及时续费。"
EXPIRED = "【中国联通】您的号码已停机，请及时缴费。"
TOPUP = "【中国移动】您已成功充值50.00元，已到账，当前余额62.50元。"
ADVERT = "【中国移动】流量限时特惠：10元得5GB，回复Y办理。"


def message(text: str, sender: str = "10086", when: datetime = T0) -> SmsMessage:
    return SmsMessage(sender=sender, timestamp=when, text=text, concat=None, dcs=8)


@pytest.mark.parametrize(
    ("text", "sender", "kind", "level"),
    [
        (LOW_80, "10086", "data_low", 80),
        (LOW_LEFT, "10010", "data_low", 0),
        (USED_UP, "10001", "data_exhausted", 0),
        (EXPIRING, "1064899990000", "expiry_soon", 0),
        (EXPIRED, "+8610010", "expired", 0),
        (TOPUP, "10086", "topup", 0),
        (ADVERT, "10086", None, 0),  # an offer, not a notice
        (LOW_80, "13800138000", None, 0),  # a private number is not the carrier
    ],
)
def test_recognised_kinds(text: str, sender: str, kind: str | None, level: int) -> None:
    notice = recognise(message(text, sender), iccid=ICCID, read_at=T0)
    assert (notice.kind if notice else None) == kind
    if notice is not None:
        assert (notice.level, notice.text, notice.sender) == (level, text, sender)


def test_any_sender_when_no_senders_are_configured() -> None:
    from dataclasses import replace

    patterns = replace(DEFAULT_PATTERNS, senders=())
    notice = recognise(message(LOW_80, "13800138000"), iccid=ICCID, read_at=T0, patterns=patterns)
    assert notice is not None and notice.kind == "data_low"


def receive(driver: Generic3gppModem, text: str, sender: str = "10086", when: datetime = T0):
    driver.channel.port.modem.apply(
        {"sms": {"sender": sender, "text": text, "time": when.isoformat()}}
    )


def test_notice_becomes_a_finding_with_the_carriers_text(
    driver: Generic3gppModem, tmp_path: Path
) -> None:
    receive(driver, LOW_80)
    receive(driver, "明天一起吃饭吗？", sender="13800138000")
    store = StateStore.open(tmp_path / "state")
    watcher = CarrierSmsWatcher(True, store)
    assert [n.kind for n in watcher.read(driver, T0, iccid=ICCID)] == ["data_low"]
    (finding,) = watcher.findings(T0, ICCID)
    assert finding.code == "data_low" and finding.level == 80
    assert finding.facts == {
        "source": "carrier_sms",
        "text": LOW_80,
        "sender": "10086",
        "sent": T0.isoformat(),
        "iccid": ICCID,
    }
    assert LOW_80 in finding.message and "8986…2474" in finding.message
    # Read again (also after a restart): nothing new, the finding still stands.
    assert watcher.read(driver, T0, iccid=ICCID) == []
    store.close()
    reopened = StateStore.open(tmp_path / "state")
    again = CarrierSmsWatcher(True, reopened)
    assert again.read(driver, T0 + timedelta(hours=1), iccid=ICCID) == []
    assert [f.code for f in again.findings(T0 + timedelta(hours=1), ICCID)] == ["data_low"]
    reopened.close()


def test_notices_expire_and_belong_to_their_sim(driver: Generic3gppModem) -> None:
    receive(driver, EXPIRING)
    watcher = CarrierSmsWatcher(True, None)
    watcher.read(driver, T0, iccid=ICCID)
    assert [f.code for f in watcher.findings(T0 + timedelta(days=2), ICCID)] == ["expiry_soon"]
    assert watcher.findings(T0 + timedelta(days=3), ICCID) == []
    assert watcher.findings(T0, "89860312345678901234") == []


def test_an_old_message_raises_nothing(driver: Generic3gppModem) -> None:
    receive(driver, USED_UP, when=T0 - timedelta(days=10))
    watcher = CarrierSmsWatcher(True, None)
    watcher.read(driver, T0, iccid=ICCID)
    assert watcher.findings(T0, ICCID) == []


def test_topup_ends_earlier_notices_and_is_logged(driver: Generic3gppModem) -> None:
    from structlog.testing import capture_logs

    receive(driver, USED_UP)
    watcher = CarrierSmsWatcher(True, None)
    watcher.read(driver, T0, iccid=ICCID)
    assert [f.code for f in watcher.findings(T0, ICCID)] == ["data_exhausted"]
    receive(driver, TOPUP, when=T0 + timedelta(hours=1))
    with capture_logs() as logs:
        watcher.read(driver, T0 + timedelta(hours=1), iccid=ICCID)
    assert watcher.findings(T0 + timedelta(hours=1), ICCID) == []
    assert [entry["text"] for entry in logs if entry["event"] == "carrier_topup"] == [TOPUP]


def test_when_the_storage_is_read() -> None:
    watcher = CarrierSmsWatcher(True, None, every_polls=3)
    assert watcher.due()  # the first poll of a process
    watcher._polls_since_read = 0  # as read() leaves it
    watcher.skip()
    assert not watcher.due()
    watcher.skip()
    assert watcher.due()  # every third poll
    watcher._polls_since_read = 0
    watcher.note_urc('+CMTI: "ME",3')
    assert watcher.due()  # a new message: at once
    assert not CarrierSmsWatcher(False, None).due()


VODAFONE_LOW = "You have used 90% of your data allowance. Top up at vodafone.co.uk"
TUNED = """\
carrier_sms:
  senders: [Vodafone, 10086]
  patterns:
    data_low: ['used \\d+% of your data']
"""


@pytest.mark.parametrize(
    ("config_tail", "sender", "text"),
    [
        ("carrier_sms: true\n", "10086", LOW_80),
        (TUNED, "Vodafone", VODAFONE_LOW),  # configured sender and wording
    ],
    ids=["builtin", "configured"],
)
def test_control_socket_notice_reaches_check(
    tmp_path: Path, config_tail: str, sender: str, text: str
) -> None:
    sim = start_simulator(tmp_path, "quectel")
    try:
        config = tmp_path / "config.yaml"
        config.write_text(
            f"state_dir: {tmp_path / 'state'}\nmodem:\n  interface: null\n{config_tail}",
            encoding="utf-8",
        )
        env = {"POSAGENT_CONFIG": str(config)}
        now = datetime.now(CHINA).replace(microsecond=0)
        notice = {"sender": sender, "text": text, "time": now.isoformat()}
        assert sim.control_send({"sms": notice}) == "ok"
        result = run_cli("check", "--json", "--port", sim.port, env=env)
        assert result.returncode == 1, result.stderr
        findings = json.loads(result.stdout)["findings"]
        low = [f for f in findings if f["code"] == "data_low"]
        assert len(low) == 1 and text in low[0]["message"]
        assert low[0]["severity"] == "warning"
    finally:
        stop_simulator(sim)


def test_configured_senders_and_wording_are_recognised_beside_the_builtin_ones() -> None:
    settings = parse_config_text(TUNED).carrier_sms
    assert settings is not None
    patterns = notice_patterns(settings)
    low = recognise(message(VODAFONE_LOW, "Vodafone"), iccid=ICCID, read_at=T0, patterns=patterns)
    assert low is not None and (low.kind, low.level) == ("data_low", 90)
    builtin = recognise(message(USED_UP, "10086"), iccid=ICCID, read_at=T0, patterns=patterns)
    assert builtin is not None and builtin.kind == "data_exhausted"
    shouting = message(VODAFONE_LOW, "VODAFONE")  # names compare without case
    assert recognise(shouting, iccid=ICCID, read_at=T0, patterns=patterns) is not None
    # 10010 is a built-in sender but not one of the configured ones.
    assert recognise(message(USED_UP, "10010"), iccid=ICCID, read_at=T0, patterns=patterns) is None


def test_without_builtin_patterns_only_the_configured_wording_counts() -> None:
    settings = parse_config_text(TUNED + "  builtin_patterns: false\n").carrier_sms
    assert settings is not None
    patterns = notice_patterns(settings)
    assert recognise(message(USED_UP), iccid=ICCID, read_at=T0, patterns=patterns) is None
    low = recognise(message(VODAFONE_LOW, "Vodafone"), iccid=ICCID, read_at=T0, patterns=patterns)
    assert low is not None and low.kind == "data_low"
    anyone = parse_config_text("carrier_sms:\n  senders: []\n").carrier_sms
    assert anyone is not None
    mobile = message(USED_UP, "13800138000")
    assert recognise(mobile, iccid=ICCID, read_at=T0, patterns=notice_patterns(anyone))
