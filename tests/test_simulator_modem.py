"""The simulated modem's protocol logic, driven byte by byte with an injected clock."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.simulator.modem import SimulatedModem
from drivers.simulator.scenario import Scenario
from drivers.simulator.state import EventError, swap_iccid


class FakeClock:
    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def make(profile: str = "generic", clock: FakeClock | None = None, **initial: object):
    clock = clock or FakeClock()
    scenario = Scenario.from_dict(initial) if initial else None
    modem = SimulatedModem(profile, scenario, clock=clock)
    return modem, clock


def ask(modem: SimulatedModem, line: str) -> bytes:
    modem.feed(line.encode() + b"\r")
    return modem.read_output()


def quiet(profile: str = "generic", **initial: object) -> SimulatedModem:
    """A modem with echo off, so answers can be compared whole."""
    modem, _ = make(profile, **initial)
    assert ask(modem, "ATE0") == b"ATE0\r\r\nOK\r\n"
    return modem


# --- framing and echo --------------------------------------------------------------------


def test_echo_on_until_ate0_then_off_and_back_with_ate1() -> None:
    modem, _ = make()
    assert ask(modem, "AT") == b"AT\r\r\nOK\r\n"
    assert ask(modem, "at+csq") == b"at+csq\r\r\n+CSQ: 20,99\r\n\r\nOK\r\n"
    assert ask(modem, "ATE0") == b"ATE0\r\r\nOK\r\n"  # echoed: it arrived with echo on
    assert ask(modem, "AT") == b"\r\nOK\r\n"
    assert ask(modem, "ATE1") == b"\r\nOK\r\n"
    assert ask(modem, "AT") == b"AT\r\r\nOK\r\n"


def test_echo_is_the_bytes_as_received_including_lf_and_edits() -> None:
    modem, _ = make()
    modem.feed(b"AT+CSX\x08Q\r\n")
    assert modem.read_output() == b"AT+CSX\x08Q\r" + b"\r\n+CSQ: 20,99\r\n\r\nOK\r\n" + b"\n"


def test_unknown_command_is_plain_error_even_with_cmee() -> None:
    modem = quiet("quectel")  # CMEE defaults to 1 on Quectel
    assert ask(modem, "AT+CMEE?") == b"\r\n+CMEE: 1\r\n\r\nOK\r\n"
    assert ask(modem, "AT+NOSUCH") == b"\r\nERROR\r\n"
    assert ask(modem, "AT^SYSINFOEX") == b"\r\nERROR\r\n"


def test_lines_without_at_are_ignored_and_a_slash_repeats() -> None:
    modem = quiet()
    assert ask(modem, "") == b""
    assert ask(modem, "hello") == b""
    assert ask(modem, "AT+CGSN") == b"\r\n869955065336336\r\n\r\nOK\r\n"
    modem.feed(b"a/")
    assert modem.read_output() == b"\r\n869955065336336\r\n\r\nOK\r\n"


def test_compound_command_one_final_code_and_stop_at_first_error() -> None:
    modem = quiet()
    # MM fixture gsm-port.conf: AT+COPS=3,2;+COPS? gives the numeric operator.
    assert ask(modem, "AT+COPS=3,2;+COPS?") == b'\r\n+COPS: 0,2,"46000",7\r\n\r\nOK\r\n'
    # The format set above is remembered for the next +COPS?.
    assert ask(modem, "AT+COPS?") == b'\r\n+COPS: 0,2,"46000",7\r\n\r\nOK\r\n'
    out = ask(modem, "AT+CSQ;+QGDCNT?;+CGSN")
    assert out == b"\r\n+CSQ: 20,99\r\n\r\nERROR\r\n"
    assert ask(modem, "ATE1V1") == b"\r\nOK\r\n"
    assert ask(modem, "AT") == b"AT\r\r\nOK\r\n"


# --- command tables -------------------------------------------------------------------------

GENERIC = [
    # (command, expected answer without echo); formats per vendors.md §1.
    ("AT+CGMI", "\r\nGeneric\r\n\r\nOK\r\n"),
    ("AT+CGMM", "\r\n3GPP-27.007\r\n\r\nOK\r\n"),
    ("AT+GMR", "\r\nSIM-1.0\r\n\r\nOK\r\n"),
    ("AT+GSN", "\r\n869955065336336\r\n\r\nOK\r\n"),
    ("AT+CIMI", "\r\n460023210226023\r\n\r\nOK\r\n"),  # QAT 05 §5.1
    ("AT+CPIN?", "\r\n+CPIN: READY\r\n\r\nOK\r\n"),  # QAT 05 §5.3
    ("AT+CSQ", "\r\n+CSQ: 20,99\r\n\r\nOK\r\n"),  # QMT RM500U capture shape
    ("AT+CESQ", "\r\n+CESQ: 99,99,255,255,20,43\r\n\r\nOK\r\n"),  # QMT AT_CESQ-61420008.json shape
    ("AT+CREG?", "\r\n+CREG: 0,1\r\n\r\nOK\r\n"),
    ("AT+CGREG?", "\r\n+CGREG: 0,1\r\n\r\nOK\r\n"),
    ("AT+CEREG?", "\r\n+CEREG: 0,1\r\n\r\nOK\r\n"),
    ("AT+C5GREG?", "\r\nERROR\r\n"),  # LTE only: no 5G registration command
    ("AT+CREG=2;+CREG?", '\r\n+CREG: 2,1,"1A2B","80D413D",7\r\n\r\nOK\r\n'),  # QAT 06 §6.2
    ("AT+COPS?", '\r\n+COPS: 0,0,"CHINA MOBILE",7\r\n\r\nOK\r\n'),  # QAT 06 §6.1
    ("AT+COPS=3,1;+COPS?", '\r\n+COPS: 0,1,"CMCC",7\r\n\r\nOK\r\n'),
    ("AT+CSCS?", '\r\n+CSCS: "GSM"\r\n\r\nOK\r\n'),
    # MM mm-base-sim.c: +CRSM: 144,0,"98680052213860104247" for 89860025128306012474.
    ("AT+CRSM=176,12258,0,0,10", '\r\n+CRSM: 144,0,"98680052213860104247"\r\n\r\nOK\r\n'),
    ("AT+CCID", "\r\n+CCID: 89860025128306012474\r\n\r\nOK\r\n"),  # MM ublox plugin
    ("AT+CFUN?", "\r\n+CFUN: 1\r\n\r\nOK\r\n"),
    ("AT+CGDCONT?", '\r\n+CGDCONT: 1,"IP","cmnet","0.0.0.0",0,0\r\n\r\nOK\r\n'),
    ("AT+CMEE=1;+CMEE?", "\r\n+CMEE: 1\r\n\r\nOK\r\n"),
    (
        "ATI",
        "\r\nManufacturer: Generic\r\nModel: 3GPP-27.007\r\nRevision: SIM-1.0\r\n"
        "IMEI: 869955065336336\r\n+GCAP: +CGSM\r\n\r\nOK\r\n",
    ),  # MM-tests devid table form
    # Vendor commands are not 27.007.
    ("AT+QCCID", "\r\nERROR\r\n"),
    ("AT+QGDCNT?", "\r\nERROR\r\n"),
    ("AT+QCSQ", "\r\nERROR\r\n"),
]

QUECTEL = [
    ("AT+CGMI", "\r\nQuectel\r\n\r\nOK\r\n"),  # QAT ch.2
    ("AT+CGMM", "\r\nEC25\r\n\r\nOK\r\n"),
    ("AT+CGMR", "\r\nEC25EFAR06A06M4G\r\n\r\nOK\r\n"),
    ("ATI", "\r\nQuectel\r\nEC25\r\nRevision: EC25EFAR06A06M4G\r\n\r\nOK\r\n"),  # QAT ch.2
    ("AT+QCCID", "\r\n+QCCID: 89860025128306012474\r\n\r\nOK\r\n"),  # QAT 05 §5.7
    ("AT+CCID", "\r\nERROR\r\n"),  # vendors.md §1.3: +CCID only on Unisoc variants
    ("AT+QGDCNT?", "\r\n+QGDCNT: 0,0\r\n\r\nOK\r\n"),  # QAT 10 §10.15
    ("AT+QAUGDCNT?", "\r\n+QAUGDCNT: 0\r\n\r\nOK\r\n"),  # QAT 10 §10.16
    ("AT+QAUGDCNT=10", "\r\n+CME ERROR: 50\r\n"),  # 0 or 30..65535 only
    ("AT+QCSQ", '\r\n+QCSQ: "LTE",-73,-98,150,-10\r\n\r\nOK\r\n'),  # vendors.md §3.1 shape
    # QAT 06 §6.17 field order: state,"LTE",is_tdd,mcc,mnc,cellID,pcid,earfcn,band,ul_bw,dl_bw,
    # tac,rsrp,rsrq,rssi,sinr,srxlev.
    (
        'AT+QENG="servingcell"',
        '\r\n+QENG: "servingcell","NOCONN","LTE","FDD",460,00,80D413D,87,1650,3,5,5,1A2B,'
        "-98,-10,-73,10,46\r\n\r\nOK\r\n",
    ),
    ("AT+QNWINFO", '\r\n+QNWINFO: "FDD LTE",46000,"LTE BAND 3",1650\r\n\r\nOK\r\n'),  # QAT 06 §6.9
    ("AT+QSPN", '\r\n+QSPN: "CHINA MOBILE","CMCC","",0,"46000"\r\n\r\nOK\r\n'),  # QAT 06 §6.10
    ("AT+QINISTAT", "\r\n+QINISTAT: 7\r\n\r\nOK\r\n"),  # QAT 05 §5.9
    ("AT+QSIMSTAT?", "\r\n+QSIMSTAT: 0,1\r\n\r\nOK\r\n"),  # QAT 05 §5.11
    ("AT+CSQ", "\r\n+CSQ: 20,99\r\n\r\nOK\r\n"),
    ("AT+CRSM=176,12258,0,0,10", '\r\n+CRSM: 144,0,"98680052213860104247"\r\n\r\nOK\r\n'),
]


@pytest.mark.parametrize(("command", "expected"), GENERIC)
def test_generic_commands(command: str, expected: str) -> None:
    assert ask(quiet("generic"), command) == expected.encode()


@pytest.mark.parametrize(("command", "expected"), QUECTEL)
def test_quectel_commands(command: str, expected: str) -> None:
    assert ask(quiet("quectel"), command) == expected.encode()


def test_state_shows_in_answers() -> None:
    modem = quiet(
        "quectel",
        csq=31,
        registration="roaming",
        rat="umts",
        mcc="234",
        mnc="15",
        operator="Vodafone",
        lac=0xD509,
        cell_id=0x80D413D,
        cesq=[99, 99, 60, 40, 255, 255],
    )
    assert ask(modem, "AT+CSQ") == b"\r\n+CSQ: 31,99\r\n\r\nOK\r\n"
    assert ask(modem, "AT+CREG=2;+CREG?") == b'\r\n+CREG: 2,5,"D509","80D413D",2\r\n\r\nOK\r\n'
    assert ask(modem, "AT+CEREG?") == b"\r\n+CEREG: 0,0\r\n\r\nOK\r\n"  # not on LTE
    assert ask(modem, "AT+COPS=3,2;+COPS?") == b'\r\n+COPS: 0,2,"23415",2\r\n\r\nOK\r\n'
    assert ask(modem, "AT+QCSQ") == b'\r\n+QCSQ: "WCDMA",-51,-61,-4\r\n\r\nOK\r\n'


def test_nr5g_answers_c5greg_and_quectel_nr_forms() -> None:
    modem = quiet("generic", rat="nr5g")
    assert ask(modem, "AT+C5GREG?") == b"\r\n+C5GREG: 0,1\r\n\r\nOK\r\n"
    assert ask(modem, "AT+COPS=3,2;+COPS?") == b'\r\n+COPS: 0,2,"46000",11\r\n\r\nOK\r\n'
    q = quiet("quectel", rat="nr5g")
    assert ask(q, "AT+QNWINFO") == b'\r\n+QNWINFO: "NR5G-SA",46000,"NR N78",633984\r\n\r\nOK\r\n'


def test_ucs2_character_set_encodes_operator_names() -> None:
    modem = quiet(operator="Movistar")
    # MM-tests cops-test-ublox_lara: "Movistar" as UCS-2 hex.
    out = ask(modem, 'AT+CSCS="UCS2";+COPS?')
    assert out == b'\r\n+COPS: 0,0,"004D006F007600690073007400610072",7\r\n\r\nOK\r\n'
    assert ask(modem, "AT+CSCS?") == b'\r\n+CSCS: "UCS2"\r\n\r\nOK\r\n'


def test_nineteen_digit_iccid_is_f_padded_in_crsm() -> None:
    # MM-tests iccid-quoted_swap_19_digit: 984402003576012594F9 ↔ 8944200053671052499.
    assert swap_iccid("8944200053671052499") == "984402003576012594F9"
    modem = quiet(iccid="8944200053671052499")
    out = ask(modem, "AT+CRSM=176,12258,0,0,10")
    assert out == b'\r\n+CRSM: 144,0,"984402003576012594F9"\r\n\r\nOK\r\n'


# --- SIM errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sim", "command", "cmee1", "cmee0"),
    [
        # 27.007 §9.2 codes: 10 SIM not inserted, 11 SIM PIN required (vendors.md §1.9).
        ("absent", "AT+CIMI", "\r\n+CME ERROR: 10\r\n", "\r\nERROR\r\n"),
        ("absent", "AT+CCID", "\r\n+CME ERROR: 10\r\n", "\r\nERROR\r\n"),
        ("absent", "AT+CRSM=176,12258,0,0,10", "\r\n+CME ERROR: 10\r\n", "\r\nERROR\r\n"),
        ("absent", "AT+CPIN?", "\r\n+CME ERROR: 10\r\n", "\r\nERROR\r\n"),  # TEL-MT p.76
        ("locked", "AT+CIMI", "\r\n+CME ERROR: 11\r\n", "\r\nERROR\r\n"),
        ("locked", "AT+CCID", "\r\n+CME ERROR: 11\r\n", "\r\nERROR\r\n"),
        ("locked", "AT+CPIN?", "\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n", None),  # QAT 05 §5.3
    ],
)
def test_sim_errors(sim: str, command: str, cmee1: str, cmee0: str | None) -> None:
    modem = quiet(sim=sim)
    if cmee0 is not None:
        assert ask(modem, command) == cmee0.encode()  # 27.007 default CMEE=0
    assert ask(modem, "AT+CMEE=1") == b"\r\nOK\r\n"
    assert ask(modem, command) == cmee1.encode()


def test_cmee_2_gives_text_and_quectel_qccid_needs_a_sim() -> None:
    modem = quiet("quectel", sim="absent")
    assert ask(modem, "AT+QCCID") == b"\r\n+CME ERROR: 10\r\n"
    assert ask(modem, "AT+CMEE=2;+CIMI") == b"\r\n+CME ERROR: SIM not inserted\r\n"
    assert ask(modem, "AT+QINISTAT") == b"\r\n+QINISTAT: 0\r\n\r\nOK\r\n"
    assert ask(modem, "AT+CREG?") == b"\r\n+CREG: 0,0\r\n\r\nOK\r\n"
    assert ask(modem, "AT+COPS?") == b"\r\n+COPS: 0\r\n\r\nOK\r\n"


def test_pin_unlocks_a_locked_sim() -> None:
    modem = quiet(sim="locked", pin="4321")
    assert ask(modem, "AT+CMEE=1") == b"\r\nOK\r\n"
    assert ask(modem, 'AT+CPIN="0000"') == b"\r\n+CME ERROR: 16\r\n"
    assert ask(modem, 'AT+CPIN="4321"') == b"\r\nOK\r\n\r\n+CPIN: READY\r\n"
    assert ask(modem, "AT+CIMI") == b"\r\n460023210226023\r\n\r\nOK\r\n"


# --- time: latency, traffic, timeline ----------------------------------------------------------


def test_latency_delays_the_answer_but_not_the_echo() -> None:
    modem, clock = make(latency=0.5)
    modem.feed(b"AT+CSQ\r")
    assert modem.read_output() == b"AT+CSQ\r"
    assert modem.next_due() == pytest.approx(clock.t + 0.5)
    clock.t += 0.49
    assert modem.read_output() == b""
    clock.t += 0.02
    assert modem.read_output() == b"\r\n+CSQ: 20,99\r\n\r\nOK\r\n"
    assert modem.next_due() is None


def test_urc_during_latency_comes_before_the_answer_never_inside_it() -> None:
    modem, clock = make(latency=1.0)
    assert ask(modem, "ATE0") == b"ATE0\r"
    clock.t += 1
    modem.read_output()
    modem.feed(b"AT+CSQ\r")
    clock.t += 0.5
    modem.apply({"urc": "+CREG: 5"})
    clock.t += 0.6
    assert modem.read_output() == b"\r\n+CREG: 5\r\n\r\n+CSQ: 20,99\r\n\r\nOK\r\n"


def test_traffic_grows_counters_with_time_split_rx_tx() -> None:
    modem, clock = make("quectel", traffic_bps=1000, rx_bytes=5000, tx_bytes=100)
    clock.t += 10
    assert modem.counters() == (5000 + 8000, 100 + 2000)
    assert ask(modem, "ATE0;+QGDCNT?") == b"ATE0;+QGDCNT?\r\r\n+QGDCNT: 2100,13000\r\n\r\nOK\r\n"
    modem.apply({"traffic_bps": 0})
    clock.t += 100
    assert modem.counters() == (13000, 2100)


def test_small_rates_do_not_lose_fractions_when_polled_often() -> None:
    modem, clock = make(traffic_bps=3)
    for _ in range(1000):
        clock.t += 0.1
        ask(modem, "AT")
    assert modem.counters() == (240, 60)


def test_counters_are_unbounded_ints() -> None:
    big = 2**64 + 5
    modem = quiet("quectel", rx_bytes=big, tx_bytes=big * 2)
    assert ask(modem, "AT+QGDCNT?") == f"\r\n+QGDCNT: {big * 2},{big}\r\n\r\nOK\r\n".encode()


def test_no_traffic_without_sim_or_network() -> None:
    modem, clock = make(traffic_bps=100)
    modem.apply({"sim": "absent"})
    clock.t += 10
    assert modem.counters() == (0, 0)
    modem.apply({"sim": "ready", "registration": "searching"})
    clock.t += 10
    assert modem.counters() == (0, 0)


def test_timeline_applies_events_at_their_time() -> None:
    scenario = Scenario.from_dict(
        {"timeline": [{"at": 5, "csq": 7}, {"at": 10, "urc": '+CMTI: "ME",1'}]}
    )
    clock = FakeClock()
    modem = SimulatedModem("generic", scenario, clock=clock)
    assert modem.next_due() == clock.t + 5
    assert ask(modem, "ATE0;+CSQ") == b"ATE0;+CSQ\r\r\n+CSQ: 20,99\r\n\r\nOK\r\n"
    clock.t += 5
    assert ask(modem, "AT+CSQ") == b"\r\n+CSQ: 7,99\r\n\r\nOK\r\n"
    clock.t += 5
    assert modem.read_output() == b'\r\n+CMTI: "ME",1\r\n'
    assert modem.next_due() is None


# --- events -------------------------------------------------------------------------------------


def test_garbage_is_seeded_and_contains_non_printables() -> None:
    outs = []
    for _ in range(2):
        modem = SimulatedModem("generic", Scenario.from_dict({"seed": 3}), clock=FakeClock())
        modem.apply({"garbage": 64})
        outs.append(modem.read_output())
    assert outs[0] == outs[1]
    assert len(outs[0]) == 64
    assert any(b < 0x20 or b >= 0x7F for b in outs[0])
    other = SimulatedModem("generic", Scenario.from_dict({"seed": 4}), clock=FakeClock())
    other.apply({"event": "garbage", "bytes": 64})
    assert other.read_output() != outs[0]


def test_hang_swallows_input_until_replug_which_boots() -> None:
    modem = quiet("quectel")
    modem.apply({"event": "hang"})
    assert ask(modem, "AT") == b""
    modem.apply({"urc": "+CREG: 1"})
    assert modem.read_output() == b""
    modem.apply({"event": "replug"})
    assert modem.generation == 1
    boot = b"\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\n+QUSIM: 1\r\n"
    boot += b"\r\n+QIND: SMS DONE\r\n\r\n+QIND: PB DONE\r\n"
    assert modem.read_output() == boot  # QAT 15.6 boot URCs
    assert ask(modem, "AT") == b"AT\r\r\nOK\r\n"  # echo back on after the boot


def test_unplug_makes_the_modem_absent() -> None:
    modem = quiet()
    modem.apply({"event": "unplug"})
    assert not modem.present
    assert ask(modem, "AT") == b""
    modem.apply({"event": "replug"})
    assert modem.present
    assert modem.read_output() == b"\r\n+CPIN: READY\r\n"


def test_reset_zeroes_generic_counters_and_restores_settings() -> None:
    modem, _ = make("generic", rx_bytes=1000, tx_bytes=10)
    assert ask(modem, "ATE0;+CMEE=2;+COPS=3,2") == b"ATE0;+CMEE=2;+COPS=3,2\r\r\nOK\r\n"
    modem.apply({"event": "reset"})
    assert modem.counters() == (0, 0)
    assert modem.read_output() == b"\r\n+CPIN: READY\r\n"
    assert ask(modem, "AT+CMEE?;+COPS?") == (
        b'AT+CMEE?;+COPS?\r\r\n+CMEE: 0\r\n\r\n+COPS: 0,0,"CHINA MOBILE",7\r\n\r\nOK\r\n'
    )


def test_quectel_reset_keeps_only_what_was_saved() -> None:
    modem, clock = make("quectel", traffic_bps=100)
    clock.t += 10  # 800 rx, 200 tx
    assert ask(modem, "ATE0;+QGDCNT=1") == b"ATE0;+QGDCNT=1\r\r\nOK\r\n"
    clock.t += 10  # 1600 rx, 400 tx, not saved
    assert modem.counters() == (1600, 400)
    modem.apply({"event": "reset"})
    assert modem.counters() == (800, 200)
    assert modem.read_output().startswith(b"\r\nRDY\r\n")
    assert ask(modem, "ATE0;+QGDCNT=0;+QGDCNT?") == (
        b"ATE0;+QGDCNT=0;+QGDCNT?\r\r\n+QGDCNT: 0,0\r\n\r\nOK\r\n"
    )


@pytest.mark.parametrize(
    ("profile", "command", "after_boot"),
    [
        ("telit", "AT#GDATAVOL=2", b"#GDATAVOL: 1,2000,400,1600"),  # totals in NVM
        ("huawei", "AT^DSFLOWQRY", b",0000000000000190,0000000000000640\r\n"),
        ("meig", "AT^DSFLOWQRY", b",190,640\r\n"),
        ("ublox", "AT+UGCNTRD", b"+UGCNTRD: 1,0,0,0,0"),  # persistence unknown: lost
    ],
)
def test_counters_after_a_power_cycle_follow_the_vendor(
    profile: str, command: str, after_boot: bytes
) -> None:
    modem, clock = make(profile, traffic_bps=100)
    clock.t += 20  # 1600 rx, 400 tx
    assert modem.counters() == (1600, 400)
    modem.apply({"event": "reset", "traffic_bps": 0})
    modem.read_output()  # boot URCs
    ask(modem, "ATE0")
    assert after_boot in ask(modem, command)


def test_quectel_autosave_keeps_the_last_saved_value() -> None:
    modem, clock = make("quectel", traffic_bps=10)
    assert ask(modem, "ATE0;+QAUGDCNT=30") == b"ATE0;+QAUGDCNT=30\r\r\nOK\r\n"
    clock.t += 95  # auto-saves at 30, 60, 90 s; the last one holds 900 bytes
    modem.apply({"event": "reset"})
    assert modem.counters() == (720, 180)
    modem.read_output()  # boot URCs
    assert ask(modem, "ATE0;+QAUGDCNT?") == b"ATE0;+QAUGDCNT?\r\r\n+QAUGDCNT: 30\r\n\r\nOK\r\n"


def test_cfun_1_1_answers_then_reboots() -> None:
    modem = quiet("quectel")
    out = ask(modem, "AT+CFUN=1,1")
    assert out.startswith(b"\r\nOK\r\n\r\nRDY\r\n")


def test_iccid_swap_gives_not_ready_then_ready() -> None:
    modem = quiet("generic")
    modem.apply({"iccid": "89860318760238510293", "imsi": "460110123456789"})
    assert modem.read_output() == b"\r\n+CPIN: NOT READY\r\n\r\n+CPIN: READY\r\n"
    assert ask(modem, "AT+CCID") == b"\r\n+CCID: 89860318760238510293\r\n\r\nOK\r\n"
    q = quiet("quectel")
    assert ask(q, "AT+QSIMSTAT=1") == b"\r\nOK\r\n"
    q.apply({"sim": "absent"})
    assert q.read_output() == b"\r\n+QSIMSTAT: 1,0\r\n\r\n+CPIN: NOT READY\r\n"  # QAT 05 §5.11


def test_registration_urcs_follow_creg_n() -> None:
    modem = quiet()
    modem.apply({"registration": "searching"})
    assert modem.read_output() == b""  # +CREG URCs off by default
    assert ask(modem, "AT+CREG=1") == b"\r\nOK\r\n"
    modem.apply({"registration": "home"})
    assert modem.read_output() == b"\r\n+CREG: 1\r\n"
    assert ask(modem, "AT+CREG=2") == b"\r\nOK\r\n"
    modem.apply({"cell_id": 0x1234})
    assert modem.read_output() == b'\r\n+CREG: 1,"1A2B","1234",7\r\n'


def test_control_objects_are_validated() -> None:
    modem = quiet()
    for bad, fragment in [
        ({"csq": 50}, "csq"),
        ({"sim": "gone"}, "sim"),
        ({"colour": "red"}, "unknown key"),
        ({"event": "explode"}, "event"),
        ({"registration": "lost"}, "registration"),
        ({"cesq": [1, 2]}, "cesq"),
    ]:
        with pytest.raises(EventError, match=fragment):
            modem.apply(bad)


def test_unknown_vendor_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="generic, quectel"):
        SimulatedModem("nokia")


@settings(max_examples=40, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=60), max_size=8))
def test_split_writes_give_the_same_bytes(cuts: list[int]) -> None:
    script = b"AT+CSQ\rATE0\rAT+COPS=3,2;+COPS?\rAT+CIMI\r\nAT+NOPE\r"
    whole, _ = make("quectel")
    whole.feed(script)
    expected = whole.read_output()
    modem, _ = make("quectel")
    out, last = b"", 0
    for cut in [*sorted({min(c, len(script)) for c in cuts}), len(script)]:
        modem.feed(script[last:cut])
        out += modem.read_output()
        last = cut
    assert out == expected
