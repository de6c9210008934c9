"""GSM 7-bit default alphabet and septet packing (drivers/parsers/gsm7.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.errors import ParseError
from drivers.parsers.gsm7 import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    char_septets,
    is_gsm7,
    pack_septets,
    pack_text,
    septet_count,
    septets_to_text,
    text_to_septets,
    unpack_septets,
    unpack_text,
)

GSM_CHARS = [char for code, char in enumerate(GSM7_BASIC) if code != 0x1B] + list(
    GSM7_EXTENSION.values()
)


@pytest.mark.parametrize(
    ("char", "septets"),
    [
        # 3GPP TS 23.038 §6.2.1 default table and §6.2.1.1 extension table.
        ("@", [0x00]),
        ("£", [0x01]),
        ("\n", [0x0A]),
        ("\r", [0x0D]),
        ("Δ", [0x10]),
        ("¤", [0x24]),
        ("¡", [0x40]),
        ("§", [0x5F]),
        ("¿", [0x60]),
        ("à", [0x7F]),
        ("€", [0x1B, 0x65]),
        ("[", [0x1B, 0x3C]),
        ("\\", [0x1B, 0x2F]),
        ("|", [0x1B, 0x40]),
    ],
)
def test_table_codes(char: str, septets: list[int]) -> None:
    assert text_to_septets(char) == septets
    assert septets_to_text(septets) == char
    assert char_septets(char) == len(septets)


@pytest.mark.parametrize(
    ("text", "packed_hex"),
    [
        ("*101#", "AA182C3602"),  # vendors.md §1.7, MM huawei plugin encode()
        ("hellohello", "E8329BFD4697D9EC37"),  # MM-tests test-sms-part-3gpp.c test_pdu3
        ("How are you?", "C8F71D14969741F977FD07"),  # classic 23.040 PDU tutorial example
        # 25 septets: the last one sits alone in its octet (MM-tests test_create_pdu_gsm_3).
        ("This is really cool ΔΔΔΔΔ", "54747A0E4ACF41F27298CDCE83C6EF371B0481402010"),
    ],
)
def test_pack_known_vectors(text: str, packed_hex: str) -> None:
    assert pack_text(text).hex().upper() == packed_hex
    assert unpack_text(bytes.fromhex(packed_hex), septet_count(text)) == text


def test_unpack_with_one_fill_bit_after_a_concatenation_header() -> None:
    # User data after the 6-octet UDH of MM-tests test_pdu_multipart part 1: text starts
    # after one fill bit.
    data = bytes.fromhex("A9E8F41C949E83C2207B")
    assert unpack_text(data, 11, fill_bits=1) == "This is a v"
    assert unpack_text(data, 11, fill_bits=0) != "This is a v"


def test_septet_count_counts_extension_characters_twice() -> None:
    assert septet_count("abc") == 3
    assert septet_count("€5 {x}") == 9


def test_is_gsm7() -> None:
    assert is_gsm7("Hello @ £5 [ok] €")
    assert not is_gsm7("余额")
    assert not is_gsm7("ç")  # 0x09 is the capital Ç only
    assert not is_gsm7("`")
    assert char_septets("余") == 0


def test_text_not_in_the_alphabet_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        text_to_septets("abc余")


def test_escape_followed_by_an_undefined_code_shows_the_default_character() -> None:
    # 23.038 §6.2.1.1: an unknown extension code is shown from the default table.
    assert septets_to_text([0x1B, 0x41, 0x62]) == "Ab"
    assert septets_to_text([0x61, 0x1B]) == "a"  # a lone trailing escape


def test_short_data_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        unpack_septets(bytes.fromhex("E8329B"), 4)
    with pytest.raises(ParseError):
        unpack_septets(bytes.fromhex("E8329BFD"), 4, fill_bits=5)
    assert len(unpack_septets(bytes.fromhex("E8329BFD"), 4, fill_bits=4)) == 4


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        pack_septets([1, 2], fill_bits=7)
    with pytest.raises(ValueError):
        pack_septets([0x80])
    with pytest.raises(ParseError):
        septets_to_text([0x80])


def test_packed_length() -> None:
    assert len(pack_septets([0x41] * 8)) == 7
    assert len(pack_septets([0x41] * 8, fill_bits=1)) == 8
    assert len(pack_septets([])) == 0


@settings(max_examples=200, deadline=None)
@given(
    text=st.lists(st.sampled_from(GSM_CHARS), max_size=200).map("".join),
    fill_bits=st.integers(min_value=0, max_value=6),
)
def test_pack_unpack_round_trip(text: str, fill_bits: int) -> None:
    septets = text_to_septets(text)
    packed = pack_septets(septets, fill_bits)
    assert len(packed) == (fill_bits + 7 * len(septets) + 7) // 8
    assert unpack_septets(packed, len(septets), fill_bits) == septets
    assert unpack_text(packed, len(septets), fill_bits) == text
