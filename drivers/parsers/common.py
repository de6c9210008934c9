"""Pure parsers for the 3GPP TS 27.007 answers every modem gives.

Each takes the information lines of one response as a string (lines joined by "\\n";
"\\r\\n", blank lines, the command echo and a trailing "OK" are tolerated) and returns typed
values, or raises ParseError when the text holds no valid answer. The code lives in the
``common_*`` modules by subject; this module is the one to import from.
"""

from __future__ import annotations

from drivers.parsers.common_identity import (
    luhn_valid,
    parse_ati,
    parse_cgsn,
    parse_cimi,
    parse_info_line,
)
from drivers.parsers.common_network import (
    Cops,
    RegInfo,
    decode_ucs2_hex,
    parse_cops,
    parse_creg,
    rat_from_act,
    reg_state_from_stat,
)
from drivers.parsers.common_signal import Cesq, bars, parse_cesq, parse_csq
from drivers.parsers.common_sim import (
    normalize_iccid,
    parse_cpin,
    parse_crsm_iccid,
    parse_iccid,
    sim_state_from_cme,
)

__all__ = [
    "Cesq",
    "Cops",
    "RegInfo",
    "bars",
    "decode_ucs2_hex",
    "luhn_valid",
    "normalize_iccid",
    "parse_ati",
    "parse_cesq",
    "parse_cgsn",
    "parse_cimi",
    "parse_cops",
    "parse_cpin",
    "parse_creg",
    "parse_crsm_iccid",
    "parse_csq",
    "parse_iccid",
    "parse_info_line",
    "rat_from_act",
    "reg_state_from_stat",
    "sim_state_from_cme",
]
