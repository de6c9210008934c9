"""Vendor drivers: real response strings through each driver's hooks (scripted channel), and
every driver against every simulator profile in-process (``sim://``, real pyserial)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import serial
from conftest import record_commands

from drivers.at.channel import AtChannel, AtResponse
from drivers.at.finals import classify, error_for
from drivers.connect import ModemOptions, make_driver
from drivers.generic import Generic3gppModem
from drivers.registry import driver_class, driver_for_manufacturer
from drivers.simulator import register
from drivers.simulator.profiles import get_profile
from drivers.types import CounterSource, Rat, Registration, RegState
from drivers.vendors.fibocom import FibocomModem
from drivers.vendors.huawei import HuaweiModem
from drivers.vendors.meig import MeigModem
from drivers.vendors.neoway import NeowayModem
from drivers.vendors.quectel import QuectelModem
from drivers.vendors.sierra import SierraModem
from drivers.vendors.simcom import SimcomModem
from drivers.vendors.telit import TelitModem
from drivers.vendors.ublox import UbloxModem

VENDORS = ("quectel", "huawei", "simcom", "fibocom", "ublox", "telit", "sierra", "meig", "neoway")
# Vendors whose simulated module keeps a byte counter the driver reads (vendors.md §2).
MODEM_COUNTERS = {"quectel", "huawei", "ublox", "telit", "meig"}
# Vendors whose extended signal command reports SINR (vendors.md §3).
SINR_VENDORS = {"quectel", "huawei", "simcom", "fibocom", "telit", "sierra"}


class ScriptedChannel:
    """Answers each command from a script of raw response lines (final result included);
    a command missing from the script answers ERROR, as on firmware without it."""

    def __init__(self, script: dict[str, str]) -> None:
        self.script = script
        self.sent: list[str] = []
        self.urc_prefixes: tuple[str, ...] = ()

    def add_urc_prefixes(self, prefixes: tuple[str, ...]) -> None:
        self.urc_prefixes = (*self.urc_prefixes, *prefixes)

    def command(self, cmd: str, *, timeout: float | None = None) -> AtResponse:
        self.sent.append(cmd)
        raw = self.script.get(cmd, "ERROR")
        lines = [line for line in re.split(r"\r\n|\n", raw) if line.strip()]
        final = classify(lines[-1])
        assert final is not None, f"script for {cmd} lacks a final result"
        info = tuple(lines[:-1])
        if final.is_error:
            raise error_for(cmd, final, info)
        return AtResponse(command=cmd, lines=info, final=final.line, elapsed=0.0)


# The 27.007 part every scripted modem answers (generic profile values).
BASE = {
    "AT+CSQ": "+CSQ: 20,99\r\nOK",
    "AT+CESQ": "+CESQ: 99,99,255,255,20,43\r\nOK",
}


def scripted(cls: type[Generic3gppModem], script: dict[str, str], **kw: object):
    channel = ScriptedChannel({**BASE, **script})
    return cls(channel, port="scripted", **kw), channel  # type: ignore[arg-type]


def sysfs(tmp_path: Path, rx: int, tx: int, name: str = "wwan0") -> Path:
    stats = tmp_path / name / "statistics"
    stats.mkdir(parents=True)
    (stats / "rx_bytes").write_text(f"{rx}\n")
    (stats / "tx_bytes").write_text(f"{tx}\n")
    return tmp_path


# --- extended signal from real strings ------------------------------------------------------

LTE = Registration(state=RegState.HOME, rat=Rat.LTE)

SIGNAL_ROWS = [
    # (driver, command, raw answer, rsrp, rsrq, sinr, source)
    (
        HuaweiModem,
        "AT^HCSQ?",
        "^HCSQ: LTE,33,40,135,11\r\nOK",
        -101,
        -14.5,
        6.8,
        "MM-tests huawei-hcsq-4",
    ),
    (
        SimcomModem,
        "AT+CPSI?",
        "+CPSI: LTE,Online,228-02,0x9CA4,20964868,46,EUTRAN-BAND20,6200,3,3,-178,-1089,-742,8"
        "\r\nOK",
        -108.9,
        -17.8,
        8.0,
        "vendors.md §3.2 SIM7600 capture (tenths of dB) [O]",
    ),
    (
        SimcomModem,
        "AT+CPSI?",
        "+CPSI: LTE CAT-M1,Online,460-00,0x1816,27447297,270,EUTRAN-BAND8,3740,5,5,-20,-116,-82,6"
        "\r\nOK",
        -116,
        -20.0,
        6.0,
        "vendors.md §3.2 SIM7000 values in dB [O]",
    ),
    (
        FibocomModem,
        "AT+XCESQ?",
        "+XCESQ: 0,99,99,255,255,19,46,32\r\nOK",
        -95,
        -10.5,
        16.0,
        "MM-tests xmm-xcesq-1",
    ),
    (
        TelitModem,
        "AT#RFSTS",
        '#RFSTS: "286 01",1795,-101,-67,-15,2242,,128,3,1,0B5D121,"286016339612498",'
        '"Turkcell",3,3,108\r\nOK',
        -101,
        -15,
        1.6,
        "vendors.md §3.6 LE910 Turkcell capture [O]",
    ),
    (
        SierraModem,
        "AT!GSTATUS?",
        "!GSTATUS:\r\nSystem mode:   LTE              PS state:    Attached\r\n"
        "RSSI (dBm):    -76              Tx Power:    0\r\n"
        "RSRP (dBm):    -107             TAC:         4F3B (20283)\r\n"
        "RSRQ (dB):     -9               Cell ID:     004ED30C (5165836)\r\n"
        "SINR (dB):      9.6\r\nOK",
        -107,
        -9.0,
        9.6,
        "vendors.md §3.7 MC7304 !GSTATUS from a public connection manager [O]",
    ),
    (
        QuectelModem,
        "AT+QCSQ",
        '+QCSQ: "LTE",-69,-102,150,-12\r\nOK',
        -102,
        -12,
        10.0,
        "vendors.md §3.1 QCSQ example [O]",
    ),
]


@pytest.mark.parametrize(
    ("cls", "command", "raw", "rsrp", "rsrq", "sinr", "source"),
    SIGNAL_ROWS,
    ids=[f"{r[0].name}-{i}" for i, r in enumerate(SIGNAL_ROWS)],
)
def test_vendor_signal_overrides_generic(
    cls: type[Generic3gppModem],
    command: str,
    raw: str,
    rsrp: float,
    rsrq: float,
    sinr: float,
    source: str,
) -> None:
    driver, channel = scripted(cls, {command: raw})
    signal = driver.read_signal(LTE)
    assert signal.rsrp_dbm == pytest.approx(rsrp)
    assert signal.rsrq_db == pytest.approx(rsrq)
    assert signal.sinr_db == pytest.approx(sinr)
    assert signal.rat is Rat.LTE
    assert signal.rssi_dbm is not None
    assert command in channel.sent


@pytest.mark.parametrize(
    "cls", [QuectelModem, HuaweiModem, SimcomModem, FibocomModem, TelitModem, SierraModem]
)
def test_vendor_signal_error_chains_up_to_generic(cls: type[Generic3gppModem]) -> None:
    # Every vendor command answers ERROR: the 27.007 reading stands (CESQ rsrp 43 → -98).
    driver, _ = scripted(cls, {})
    signal = driver.read_signal(LTE)
    assert (signal.rssi_dbm, signal.rsrp_dbm, signal.rsrq_db) == (-73, -98, -10.0)
    assert signal.sinr_db is None
    assert signal.rat is Rat.LTE


def test_huawei_sysinfoex_names_the_rat_without_hcsq() -> None:
    # ^SYSINFOEX:2,4,5,1,,3,"WCDMA",41,"HSPA+" (MM-tests huawei-sysinfoex); ^HCSQ answers ERROR.
    driver, channel = scripted(
        HuaweiModem, {"AT^SYSINFOEX": '^SYSINFOEX:2,4,5,1,,3,"WCDMA",41,"HSPA+"\r\nOK'}
    )
    assert driver.read_signal(None).rat is Rat.UMTS
    assert channel.sent[-2:] == ["AT^HCSQ?", "AT^SYSINFOEX"]


def test_simcom_cnsmod_names_the_rat_without_cpsi() -> None:
    driver, _ = scripted(SimcomModem, {"AT+CNSMOD?": "+CNSMOD: 0,8\r\nOK"})  # vendors.md §3.2
    assert driver.read_signal(None).rat is Rat.LTE


# --- Quectel serving cell ---------------------------------------------------------------------

QENG_LTE = (
    '+QENG: "servingcell","NOCONN","LTE","TDD",460,00,82E8C80,87,38400,39,5,5,550A,'
    "-93,-13,-59,-4,46\r\nOK"
)  # QAT 06 §6.17 example


def test_quectel_serving_cell_fills_area_and_cell() -> None:
    driver, _ = scripted(
        QuectelModem,
        {
            "AT+CEREG?": "+CEREG: 0,1\r\nOK",
            'AT+QENG="servingcell"': QENG_LTE,
        },
    )
    reg = driver.read_registration()
    assert reg.state is RegState.HOME
    assert (reg.area_code, reg.cell_id) == (0x550A, 0x82E8C80)


def test_quectel_serving_cell_levels_when_qcsq_is_missing() -> None:
    # EC2x V2.0 firmware without +QCSQ: the serving cell gives RSRP/RSRQ/SINR (SINR in dB).
    driver, channel = scripted(QuectelModem, {'AT+QENG="servingcell"': QENG_LTE})
    signal = driver.read_signal(LTE)
    assert (signal.rsrp_dbm, signal.rsrq_db, signal.sinr_db) == (-93, -13, -4)
    assert "AT+QCSQ" in channel.sent


def test_quectel_qnwinfo_only_when_the_rat_is_unknown() -> None:
    nwinfo = '+QNWINFO: "FDD LTE",46011,"LTE BAND 3",1650\r\nOK'  # QAT 06 §6.9
    driver, channel = scripted(QuectelModem, {"AT+QNWINFO": nwinfo})
    assert driver.read_signal(None).rat is Rat.LTE
    assert "AT+QNWINFO" in channel.sent
    driver, channel = scripted(QuectelModem, {"AT+QNWINFO": nwinfo})
    driver.read_signal(LTE)
    assert "AT+QNWINFO" not in channel.sent


# --- counters ----------------------------------------------------------------------------------

COUNTER_ROWS = [
    # (driver, command, raw answer, rx, tx, source)
    (
        HuaweiModem,
        "AT^DSFLOWQRY",
        "^DSFLOWQRY:00000E8E,0000000000333ACC,000000000A93E9AD,007B3514,000000007C0E5F69,"
        "00000007AD1AE9C6\r\nOK",
        32968993222,
        2081316713,
        "vendors.md §2 Huawei sample (public Huawei tool comment) [O]",
    ),
    (
        HuaweiModem,
        "AT^DSFLOWQRY",
        "^DSFLOWQRY:\r\n00000E8E,0000000000333ACC,000000000A93E9AD,007B3514,000000007C0E5F69,"
        "00000007AD1AE9C6\r\nOK",
        32968993222,
        2081316713,
        "vendors.md §2 values on the next line [O QModem]",
    ),
    (
        MeigModem,
        "AT^DSFLOWQRY",
        "^DSFLOWQRY: 100,0,0,592,645c,3c0f\r\nOK",
        0x3C0F,
        0x645C,
        "vendors.md §2 short unpadded hex [O QModem tests]",
    ),
    (
        TelitModem,
        "AT#GDATAVOL=2",
        "#GDATAVOL: 0,0,0,0\r\n#GDATAVOL: 1,5000000000,1000000000,4000000000\r\n"
        "#GDATAVOL: 3,300,100,200\r\nOK",
        4000000200,
        1000000100,
        "constructed: TEL-UC864 §3.5.7.4.17 layout, one line per cid",
    ),
    (
        QuectelModem,
        "AT+QGDCNT?",
        "+QGDCNT: 109169083,82663256\r\nOK",
        82663256,
        109169083,
        "QMT RM500U AT_QGDCNT_-9c9fe0a0.json",
    ),
]


@pytest.mark.parametrize(
    ("cls", "command", "raw", "rx", "tx", "source"),
    COUNTER_ROWS,
    ids=[f"{r[0].name}-{i}" for i, r in enumerate(COUNTER_ROWS)],
)
def test_modem_counters(
    cls: type[Generic3gppModem], command: str, raw: str, rx: int, tx: int, source: str
) -> None:
    driver, _ = scripted(cls, {command: raw})
    counters = driver.read_counters()
    assert counters.source is CounterSource.MODEM
    assert (counters.rx_bytes, counters.tx_bytes) == (rx, tx)
    assert counters.detail == command


def test_ublox_counters_probe_once_and_sum_contexts() -> None:
    # MM-tests ublox-ugcntrd-3/4 (two contexts) and -5 (> 2^32): totals summed over cids.
    raw = (
        "+UGCNTRD: 1, 100, 0, 100, 0\r\n"
        "+UGCNTRD: 2,1397316870,113728263578,1397316870,113728263578\r\nOK"
    )
    driver, channel = scripted(UbloxModem, {"AT+UGCNTRD=?": "OK", "AT+UGCNTRD": raw})
    for _ in range(2):
        counters = driver.read_counters()
        assert counters.source is CounterSource.MODEM
        assert (counters.rx_bytes, counters.tx_bytes) == (113728263578, 1397316970)
    assert channel.sent.count("AT+UGCNTRD=?") == 1
    assert channel.sent.count("AT+UGCNTRD") == 2
    driver.forget()  # after a modem reboot the firmware may differ: probe again
    driver.read_counters()
    assert channel.sent.count("AT+UGCNTRD=?") == 2


def test_ublox_without_ugcntrd_never_reads_it(tmp_path: Path) -> None:
    root = sysfs(tmp_path, 1000, 250)
    driver, channel = scripted(UbloxModem, {}, interface="wwan0", sysfs_net=root)
    for _ in range(3):
        counters = driver.read_counters()
        assert counters.source is CounterSource.INTERFACE
        assert (counters.rx_bytes, counters.tx_bytes) == (1000, 250)
    assert channel.sent == ["AT+UGCNTRD=?"]


def test_ublox_no_active_context_uses_the_interface(tmp_path: Path) -> None:
    root = sysfs(tmp_path, 7, 3)
    driver, _ = scripted(
        UbloxModem, {"AT+UGCNTRD=?": "OK", "AT+UGCNTRD": "OK"}, interface="wwan0", sysfs_net=root
    )
    assert driver.read_counters().source is CounterSource.INTERFACE


@pytest.mark.parametrize(
    ("cls", "command"),
    [
        (HuaweiModem, "AT^DSFLOWQRY"),
        (MeigModem, "AT^DSFLOWQRY"),
        (TelitModem, "AT#GDATAVOL=2"),
        (QuectelModem, "AT+QGDCNT?"),
    ],
)
def test_counter_error_is_remembered_and_falls_back(
    cls: type[Generic3gppModem], command: str, tmp_path: Path
) -> None:
    root = sysfs(tmp_path, 1000, 250)
    driver, channel = scripted(cls, {}, interface="wwan0", sysfs_net=root)
    for _ in range(2):
        counters = driver.read_counters()
        assert counters.source is CounterSource.INTERFACE
        assert counters.detail == "wwan0"
    assert channel.sent == [command]  # asked once, then known unsupported
    driver.interface = "wwan9"  # the interface vanished: none, not an error
    assert driver.read_counters().source is CounterSource.NONE


@pytest.mark.parametrize("cls", [SimcomModem, FibocomModem, SierraModem, NeowayModem])
def test_vendors_without_counter_read_the_interface(
    cls: type[Generic3gppModem], tmp_path: Path
) -> None:
    root = sysfs(tmp_path, 123, 45)
    driver, channel = scripted(cls, {}, interface="wwan0", sysfs_net=root)
    counters = driver.read_counters()
    assert counters.source is CounterSource.INTERFACE
    assert (counters.rx_bytes, counters.tx_bytes) == (123, 45)
    assert channel.sent == []  # no AT command for a counter the module does not have


def test_garbled_counter_answer_falls_back(tmp_path: Path) -> None:
    root = sysfs(tmp_path, 5, 6)
    driver, _ = scripted(
        HuaweiModem,
        {"AT^DSFLOWQRY": "^DSFLOWQRY:00000E8E,0000000000333ACC\r\nOK"},  # constructed: truncated
        interface="wwan0",
        sysfs_net=root,
    )
    assert driver.read_counters().source is CounterSource.INTERFACE


# --- ICCID order ---------------------------------------------------------------------------------

ICCID_ROWS = [
    # (driver, vendor command, its answer, source)
    (QuectelModem, "AT+QCCID", "+QCCID: 89860025128306012474\r\nOK", "QAT 05 §5.7"),
    (HuaweiModem, "AT^ICCID?", "^ICCID: 98680052213860104247\r\nOK", "MM mm-sim-huawei.c (swap)"),
    (SimcomModem, "AT+CICCID", "+ICCID: 89860025128306012474\r\nOK", "vendors.md §1.3 [O]"),
    (FibocomModem, "AT+CCID", "+CCID: 89860025128306012474\r\nOK", "QMT RM500U AT_CCID"),
    (UbloxModem, "AT+CCID", "+CCID: 89860025128306012474\r\nOK", "MM mm-sim-ublox.c"),
    (TelitModem, "AT#CCID", "#CCID: 89860025128306012474\r\nOK", "vendors.md §1.3 [O]"),
    (SierraModem, "AT!ICCID?", "!ICCID: 89860025128306012474\r\nOK", "MM mm-sim-sierra.c"),
    (MeigModem, "AT+ICCID", "+ICCID: 89860025128306012474\r\nOK", "QMT Air724UG AT_ICCID"),
    (NeowayModem, "AT+CCID", "+CCID: 89860025128306012474\r\nOK", "vendors.md §3.9 [?]"),
]
CRSM = "AT+CRSM=176,12258,0,0,10"


@pytest.mark.parametrize(("cls", "command", "raw", "source"), ICCID_ROWS)
def test_vendor_iccid_command_first(
    cls: type[Generic3gppModem], command: str, raw: str, source: str
) -> None:
    driver, channel = scripted(cls, {command: raw})
    assert driver.read_iccid() == "89860025128306012474"
    assert channel.sent == [command]


@pytest.mark.parametrize(("cls", "command", "raw", "source"), ICCID_ROWS)
def test_iccid_falls_back_to_crsm(
    cls: type[Generic3gppModem], command: str, raw: str, source: str
) -> None:
    # MM mm-base-sim.c: +CRSM: 144,0,"98680052213860104247" for ICCID 89860025128306012474.
    driver, channel = scripted(cls, {CRSM: '+CRSM: 144,0,"98680052213860104247"\r\nOK'})
    assert driver.read_iccid() == "89860025128306012474"
    assert channel.sent[0] == command
    assert channel.sent[-1] == CRSM
    assert len(channel.sent) == len(set(channel.sent))  # no command asked twice


# --- URC prefixes ------------------------------------------------------------------------------

URC_ROWS = [
    (QuectelModem, "+QIND: SMS DONE"),
    (HuaweiModem, "^DSFLOWRPT:0000240E,00000000,00000000,00000000000AD023,00000000002FA192"),
    (HuaweiModem, "^CEND:1,0,104,16"),
    (SimcomModem, "SMS DONE"),
    (TelitModem, "#QSS: 0,3"),
    (SierraModem, "+PACSP0"),
    (MeigModem, "^DCONN"),
]


@pytest.mark.parametrize(("cls", "urc"), URC_ROWS)
def test_urc_prefixes_reach_the_channel(cls: type[Generic3gppModem], urc: str) -> None:
    _, channel = scripted(cls, {})
    assert urc.startswith(channel.urc_prefixes)


# --- every driver against every simulated module ------------------------------------------------


@pytest.mark.parametrize("vendor", VENDORS)
def test_auto_detection_picks_the_vendor_driver(vendor: str, open_sim) -> None:
    channel = open_sim(vendor)
    assert driver_for_manufacturer(get_profile(vendor).manufacturer) == vendor
    driver = make_driver(channel, ModemOptions(driver="auto"), port=f"sim://{vendor}")
    assert type(driver) is driver_class(vendor)
    assert driver.name == vendor


@pytest.mark.parametrize("vendor", VENDORS)
def test_vendor_snapshot_from_its_simulated_module(vendor: str, open_sim, tmp_path) -> None:
    channel = open_sim(vendor)
    modem = channel.port.modem
    modem.apply({"rx_bytes": 5_000_000_000, "tx_bytes": 1234, "sinr": -3.0})
    root = sysfs(tmp_path, 2222, 1111)
    driver = driver_class(vendor)(channel, port="sim", interface="wwan0", sysfs_net=root)
    snap = driver.snapshot()
    assert snap.driver == vendor
    assert snap.identity.manufacturer == get_profile(vendor).manufacturer
    assert snap.sim.iccid == "89860025128306012474"
    assert snap.sim.imsi == "460023210226023"
    assert snap.registration.state is RegState.HOME
    assert snap.signal.rat is Rat.LTE
    assert snap.signal.rsrp_dbm == -98 and snap.signal.rssi_dbm == -73
    if vendor in SINR_VENDORS:
        assert snap.signal.sinr_db == pytest.approx(-3.0)  # each vendor's scale, inverted
    else:
        assert snap.signal.sinr_db is None
    if vendor in MODEM_COUNTERS:
        assert snap.counters.source is CounterSource.MODEM
        assert (snap.counters.rx_bytes, snap.counters.tx_bytes) == (5_000_000_000, 1234)
    else:
        assert snap.counters.source is CounterSource.INTERFACE
        assert (snap.counters.rx_bytes, snap.counters.tx_bytes) == (2222, 1111)


@pytest.mark.parametrize("vendor", VENDORS)
def test_vendor_driver_on_a_basic_modem_gives_a_full_snapshot(
    vendor: str, open_sim, tmp_path
) -> None:
    # The generic profile answers every vendor command with ERROR.
    root = sysfs(tmp_path, 2222, 1111)
    channel = open_sim("generic")
    driver = driver_class(vendor)(channel, port="sim", interface="wwan0", sysfs_net=root)
    snap = driver.snapshot()
    assert snap.sim.iccid == "89860025128306012474"  # from +CRSM
    assert snap.signal.rsrp_dbm == -98 and snap.signal.rssi_dbm == -73
    assert snap.registration.state is RegState.HOME and snap.registration.mcc == "460"
    assert snap.counters.source is CounterSource.INTERFACE
    # A second poll sends no vendor command that already failed.
    sent = record_commands(channel)
    assert driver.snapshot().counters.source is CounterSource.INTERFACE
    for command in sent:
        assert driver.supports(command)


SERVING_CELL_REPORTS = {
    "quectel": 'AT+QENG="servingcell"',
    "simcom": "AT+CPSI?",
    "telit": "AT#RFSTS",
    "sierra": "AT!GSTATUS?",
}


@pytest.mark.parametrize("vendor", sorted(SERVING_CELL_REPORTS))
def test_serving_cell_fills_the_registration_with_one_report_a_poll(vendor: str, open_sim) -> None:
    # +CEREG? gives TAC and cell id only after AT+CEREG=2, which posagent never sends.
    channel = open_sim(vendor)
    sent = record_commands(channel)
    driver = driver_class(vendor)(channel, port="sim", interface=None)
    for _ in range(2):
        sent.clear()
        snap = driver.snapshot()
        assert (snap.registration.area_code, snap.registration.cell_id) == (0x1A2B, 0x80D413D)
        assert sent.count(SERVING_CELL_REPORTS[vendor]) == 1, sent
    # Outside a snapshot nothing is remembered: each call asks the modem.
    sent.clear()
    driver.read_registration()
    driver.read_registration()
    assert sent.count(SERVING_CELL_REPORTS[vendor]) == 2, sent


def test_ublox_counters_after_losing_the_network(open_sim) -> None:
    channel = open_sim("ublox")
    channel.port.modem.apply({"rx_bytes": 10, "tx_bytes": 20})
    driver = UbloxModem(channel, port="sim")
    assert driver.read_counters().source is CounterSource.MODEM
    channel.port.modem.apply({"registration": "searching"})  # no active context: no line
    assert driver.read_counters().source is CounterSource.NONE


def test_counters_grow_with_traffic() -> None:
    clock = [1000.0]
    register()
    port = serial.serial_for_url("sim://telit", timeout=0.05, clock=lambda: clock[0])
    channel = AtChannel(port, timeout=1.0)
    try:
        channel.initialize()
        port.modem.apply({"traffic_bps": 1000.0})
        driver = TelitModem(channel, port="sim")
        first = driver.read_counters()
        clock[0] += 10.0
        second = driver.read_counters()
        assert second.rx_bytes - first.rx_bytes == 8000  # 80 % of 10 s at 1000 B/s received
        assert second.tx_bytes - first.tx_bytes == 2000
    finally:
        channel.close()


# --- simulator formats ------------------------------------------------------------------------


def raw(channel: AtChannel, command: str) -> tuple[str, ...]:
    return channel.command(command).lines


def test_huawei_profile_dsflowqry_is_fixed_width_hex(open_sim) -> None:
    channel = open_sim("huawei")
    channel.port.modem.apply({"rx_bytes": 2**40 + 5, "tx_bytes": 255})
    (line,) = raw(channel, "AT^DSFLOWQRY")
    assert re.fullmatch(
        r"\^DSFLOWQRY:[0-9A-F]{8},[0-9A-F]{16},[0-9A-F]{16},[0-9A-F]{8},[0-9A-F]{16},[0-9A-F]{16}",
        line,
    )
    assert line.endswith(",00000000000000FF,0000010000000005")


def test_simcom_profile_cpsi_in_tenths_of_db(open_sim) -> None:
    channel = open_sim("simcom")
    (line,) = raw(channel, "AT+CPSI?")
    # CESQ rsrq 20 → -10 dB, rsrp 43 → -98 dBm, CSQ 20 → -73 dBm, all ×10; SINR 10 dB.
    assert line.endswith(",-100,-980,-730,10")


def test_ublox_profile_ugcntrd_lines_per_context(open_sim) -> None:
    channel = open_sim("ublox")
    channel.port.modem.apply({"rx_bytes": 2**33, "tx_bytes": 640})
    lines = raw(channel, "AT+UGCNTRD")
    assert len(lines) == 2 and all(line.startswith("+UGCNTRD: ") for line in lines)
    totals = [tuple(int(v) for v in line.split(": ")[1].split(",")) for line in lines]
    assert sum(t[4] for t in totals) == 2**33  # received totals add up
    assert sum(t[3] for t in totals) == 640
    assert max(t[4] for t in totals) > 2**32


def test_telit_profile_gdatavol_line_per_cid(open_sim) -> None:
    channel = open_sim("telit")
    channel.port.modem.apply({"rx_bytes": 700, "tx_bytes": 300})
    assert raw(channel, "AT#GDATAVOL=2") == ("#GDATAVOL: 1,1000,300,700", "#GDATAVOL: 2,0,0,0")
    defined = [line for line in raw(channel, "AT+CGDCONT?") if line.startswith("+CGDCONT:")]
    assert len(defined) == 2


@pytest.mark.parametrize("vendor", VENDORS)
def test_unknown_command_is_error(vendor: str, open_sim) -> None:
    from drivers.errors import AtCommandError

    channel = open_sim(vendor)
    with pytest.raises(AtCommandError):
        channel.command("AT+NOSUCH?")


@pytest.mark.parametrize("vendor", VENDORS)
def test_profiles_boot_with_urcs(vendor: str) -> None:
    from drivers.simulator.modem import SimulatedModem

    modem = SimulatedModem(vendor)
    urcs = get_profile(vendor).boot_urcs(modem)
    assert any("READY" in line for line in urcs)
