"""The generic driver's policy against the in-process simulated modem (real pyserial)."""

from __future__ import annotations

from conftest import record_commands

from drivers.generic import Generic3gppModem
from drivers.types import CounterSource, RegState, SimState
from drivers.vendors.quectel import QuectelModem


def test_generic_snapshot_of_a_generic_modem(open_sim) -> None:
    driver = Generic3gppModem(open_sim("generic"), port="sim://generic", interface=None)
    snap = driver.snapshot()
    assert snap.driver == "generic"
    assert snap.identity.imei == "869955065336336" and snap.identity.imei_valid
    assert snap.sim.state is SimState.READY
    assert snap.sim.iccid == "89860025128306012474"
    assert snap.sim.imsi == "460023210226023"
    assert snap.signal.rssi_dbm == -73
    assert snap.registration.state is RegState.HOME
    assert snap.registration.family in ("CEREG", "CGREG", "CREG")
    assert snap.counters.source is CounterSource.NONE


def test_unsupported_commands_are_none_and_remembered(open_sim) -> None:
    channel = open_sim("generic")
    driver = Generic3gppModem(channel, port="sim://generic")
    assert driver.query("AT+QGDCNT?") is None  # ERROR: not a Quectel
    assert not driver.supports("AT+QGDCNT?")
    sent = record_commands(channel)
    assert driver.query("AT+QGDCNT?") is None
    assert sent == []  # not asked again


def test_locked_sim_still_gives_identity_signal_and_iccid(open_sim) -> None:
    channel = open_sim("quectel")
    channel.port.modem.apply({"sim": "locked"})
    snap = QuectelModem(channel, port="sim://quectel").snapshot()
    assert snap.sim.state is SimState.LOCKED
    assert snap.sim.imsi is None
    assert snap.identity.manufacturer == "Quectel"
    assert snap.signal.rssi_dbm is not None


def test_absent_sim_gives_a_snapshot(open_sim) -> None:
    channel = open_sim("quectel")
    channel.port.modem.apply({"sim": "absent"})
    snap = QuectelModem(channel, port="sim://quectel").snapshot()
    assert snap.sim.state is SimState.ABSENT
    assert snap.sim.iccid is None and snap.sim.imsi is None
    assert snap.identity.imei == "869955065336336"


def test_quectel_extras_and_modem_counters(open_sim) -> None:
    channel = open_sim("quectel")
    channel.port.modem.apply({"rx_bytes": 123456789012, "tx_bytes": 42})
    snap = QuectelModem(channel, port="sim://quectel").snapshot()
    assert snap.counters.source is CounterSource.MODEM
    assert (snap.counters.rx_bytes, snap.counters.tx_bytes) == (123456789012, 42)
    assert snap.signal.sinr_db is not None  # from +QCSQ


def test_operator_format_is_restored(open_sim) -> None:
    channel = open_sim("generic")
    driver = Generic3gppModem(channel, port="sim://generic")
    before = channel.command("AT+COPS?").text
    reg = driver.read_registration()
    assert reg.operator and reg.mcc == "460"
    assert channel.command("AT+COPS?").text == before


def test_interface_counters_from_sysfs(open_sim, tmp_path) -> None:
    stats = tmp_path / "wwan0" / "statistics"
    stats.mkdir(parents=True)
    (stats / "rx_bytes").write_text("1000\n")
    (stats / "tx_bytes").write_text("250\n")
    driver = Generic3gppModem(
        open_sim("generic"), port="sim://generic", interface="wwan0", sysfs_net=tmp_path
    )
    counters = driver.read_counters()
    assert counters.source is CounterSource.INTERFACE
    assert (counters.rx_bytes, counters.tx_bytes) == (1000, 250)
    driver.interface = "wwan9"
    assert driver.read_counters().source is CounterSource.NONE
