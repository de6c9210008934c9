"""agent/balance.py: the USSD balance query at its own interval, the amount, balance_low;
in-process against sim://quectel and end to end through `posagent check` on a pty."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import run_cli, start_simulator, stop_simulator

from agent.balance import BalanceWatcher
from agent.config import BalanceSettings
from agent.store import StateStore
from drivers.connect import ModemOptions, connect
from drivers.generic import Generic3gppModem

CHINA = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=CHINA)
ICCID = "89860025128306012474"  # the simulator's default SIM
SETTINGS = BalanceSettings(ussd="*101#", minimum=10.0, interval=86400.0)


class CountingDriver:
    """A sim://quectel driver that counts the USSD requests written to the port."""

    def __init__(self) -> None:
        self.modem: Generic3gppModem = connect(ModemOptions(port="sim://quectel", timeout=1.0))
        self.channel = self.modem.channel
        self.ussd_packed = self.modem.ussd_packed
        self.requests = 0
        port = self.channel.port
        original = port.write

        def write(data: bytes) -> int | None:
            self.requests += bytes(data).count(b"AT+CUSD=1,")
            return original(data)

        port.write = write  # type: ignore[method-assign]

    def reply(self, text: str) -> None:
        self.channel.port.modem.apply({"ussd_reply": text})


@pytest.fixture
def driver() -> Iterator[CountingDriver]:
    counting = CountingDriver()
    yield counting
    counting.channel.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    opened = StateStore.open(tmp_path / "state")
    yield opened
    opened.close()


def test_low_balance_is_a_finding_with_a_clear_message(
    driver: CountingDriver, store: StateStore
) -> None:
    driver.reply("尊敬的客户，您的账户余额：8.50元。")
    watcher = BalanceWatcher(SETTINGS, store)
    balance = watcher.query(driver, T0, iccid=ICCID)
    assert balance is not None and balance.amount == 8.5
    (finding,) = watcher.findings(T0, ICCID)
    assert finding.code == "balance_low"
    assert finding.message == "Prepaid balance of SIM 8986…2474 is 8.50, below the minimum 10."
    assert finding.facts["text"] == "尊敬的客户，您的账户余额：8.50元。"


@pytest.mark.parametrize(
    ("reply", "pattern", "amount"),
    [
        # The default pattern (SPEC.md balance.pattern) on full-width digits and colon.
        ("您的余额：１２.５０元", None, 12.5),
        ("账户余额: 1,234.50元", None, 1234.5),
        # A configured pattern for an English reply.
        ("Your balance is 7.25 CNY.", r"balance is ([0-9.]+)", 7.25),
    ],
)
def test_amount_extracted_with_the_configured_pattern(
    driver: CountingDriver, reply: str, pattern: str | None, amount: float
) -> None:
    settings = SETTINGS if pattern is None else BalanceSettings("*101#", re.compile(pattern))
    driver.reply(reply)
    watcher = BalanceWatcher(settings, None)
    balance = watcher.query(driver, T0, iccid=ICCID)
    assert balance is not None and balance.amount == amount
    assert (watcher.findings(T0, ICCID) != []) == (amount < settings.minimum)


def test_at_most_one_request_per_interval_across_restarts(
    driver: CountingDriver, tmp_path: Path
) -> None:
    driver.reply("余额：8.50元")
    store = StateStore.open(tmp_path / "state")
    watcher = BalanceWatcher(SETTINGS, store)
    assert watcher.due(T0)
    watcher.query(driver, T0, iccid=ICCID)
    assert not watcher.due(T0 + timedelta(hours=23))
    store.close()

    reopened = StateStore.open(tmp_path / "state")
    again = BalanceWatcher(SETTINGS, reopened)
    assert not again.due(T0 + timedelta(hours=1))
    assert again.findings(T0 + timedelta(hours=1), ICCID)[0].facts["balance"] == 8.5
    assert again.due(T0 + timedelta(days=1))
    assert again.due(T0 - timedelta(hours=1))  # the clock was set back: not stuck
    reopened.close()
    assert driver.requests == 1


def test_a_failed_request_also_waits_an_interval(driver: CountingDriver) -> None:
    driver.channel.port.modem.apply({"registration": "searching"})
    watcher = BalanceWatcher(SETTINGS, None)
    assert watcher.query(driver, T0, iccid=ICCID) is None
    assert not watcher.due(T0 + timedelta(minutes=5))
    assert watcher.findings(T0, ICCID) == []


def test_reply_without_an_amount_keeps_nothing(driver: CountingDriver) -> None:
    driver.reply("系统繁忙，请稍后再试。")
    watcher = BalanceWatcher(SETTINGS, None)
    assert watcher.query(driver, T0, iccid=ICCID) is None
    assert watcher.last is None and watcher.findings(T0, ICCID) == []


def test_another_sims_balance_says_nothing(driver: CountingDriver) -> None:
    driver.reply("余额：1.00元")
    watcher = BalanceWatcher(SETTINGS, None)
    watcher.query(driver, T0, iccid=ICCID)
    assert watcher.findings(T0, "89860312345678901234") == []
    assert len(watcher.findings(T0, ICCID)) == 1


def test_not_configured_never_asks() -> None:
    watcher = BalanceWatcher(None, None)
    assert not watcher.due(T0)
    assert watcher.findings(T0, ICCID) == []


def test_check_raises_balance_low_end_to_end(tmp_path: Path) -> None:
    sim = start_simulator(tmp_path, "quectel")
    try:
        assert sim.control_send({"ussd_reply": "尊敬的客户，您的账户余额：8.50元。"}) == "ok"
        config = tmp_path / "config.yaml"
        config.write_text(
            f"state_dir: {tmp_path / 'state'}\n"
            "modem:\n  interface: null\n"
            "balance:\n  ussd: '*101#'\n  minimum: 10\n  interval: 1d\n",
            encoding="utf-8",
        )
        env = {"POSAGENT_CONFIG": str(config)}
        result = run_cli("check", "--json", "--port", sim.port, env=env)
        assert result.returncode == 1, result.stderr
        assert result.stderr.count("balance_query") == 1  # the request is logged
        findings = json.loads(result.stdout)["findings"]
        assert {
            "code": "balance_low",
            "severity": "warning",
            "message": "Prepaid balance of SIM 8986…2474 is 8.50, below the minimum 10.",
        } in findings
        # Topped up, but the next check is within the interval: no second request, the
        # last balance still stands.
        assert sim.control_send({"ussd_reply": "余额：50.00元"}) == "ok"
        result = run_cli("check", "--json", "--port", sim.port, env=env)
        assert "balance_low" in {f["code"] for f in json.loads(result.stdout)["findings"]}
        assert result.stderr.count("balance_query") == 0
    finally:
        stop_simulator(sim)
