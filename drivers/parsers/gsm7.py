"""The GSM 7-bit default alphabet (3GPP TS 23.038 §6.2.1) and septet packing (§6.1.2.1).

Text is carried as septets: one per character of the default table, two (ESC 0x1B and the
code) per character of the extension table (§6.2.1.1). Packed septets run least significant
bit first across octets; a message with a user data header starts its text on a septet
boundary, so the packer and unpacker take 0..6 leading fill bits (TS 23.040 §9.2.3.24).
"""

from __future__ import annotations

from collections.abc import Sequence

from drivers.errors import ParseError

# 23.038 §6.2.1, in code order 0x00..0x7F. 0x1B is the escape to the extension table and
# decodes to nothing on its own; it stands here as a placeholder that is never looked up.
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)

ESCAPE = 0x1B

# 23.038 §6.2.1.1: the characters reached through ESC.
GSM7_EXTENSION: dict[int, str] = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}

_BASIC_CODE = {char: code for code, char in enumerate(GSM7_BASIC) if code != ESCAPE}
_EXTENSION_CODE = {char: code for code, char in GSM7_EXTENSION.items()}


def is_gsm7(text: str) -> bool:
    """True if every character of ``text`` is in the default or the extension table."""
    return all(char in _BASIC_CODE or char in _EXTENSION_CODE for char in text)


def char_septets(char: str) -> int:
    """Septets ``char`` takes: 1 (default table), 2 (extension table) or 0 (not GSM-7)."""
    if char in _BASIC_CODE:
        return 1
    if char in _EXTENSION_CODE:
        return 2
    return 0


def septet_count(text: str) -> int:
    """Septets ``text`` takes; raises ParseError if a character is not in GSM-7."""
    return len(text_to_septets(text))


def text_to_septets(text: str) -> list[int]:
    """The unpacked septets of ``text``; raises ParseError if a character is not in GSM-7."""
    septets: list[int] = []
    for char in text:
        code = _BASIC_CODE.get(char)
        if code is not None:
            septets.append(code)
            continue
        code = _EXTENSION_CODE.get(char)
        if code is None:
            raise ParseError("GSM 7-bit text", text)
        septets.extend((ESCAPE, code))
    return septets


def septets_to_text(septets: Sequence[int]) -> str:
    """The text of unpacked septets.

    An escape followed by a code the extension table does not define shows the default
    table's character for that code, as 23.038 §6.2.1.1 asks; a trailing lone escape is
    dropped.
    """
    chars: list[str] = []
    escaped = False
    for septet in septets:
        if not 0 <= septet <= 0x7F:
            raise ParseError("GSM 7-bit septets", repr(list(septets)))
        if escaped:
            escaped = False
            extension = GSM7_EXTENSION.get(septet)
            if extension is not None:
                chars.append(extension)
            elif septet != ESCAPE:
                chars.append(GSM7_BASIC[septet])
            # ESC ESC would lead to a further national table; nothing to show for it.
        elif septet == ESCAPE:
            escaped = True
        else:
            chars.append(GSM7_BASIC[septet])
    return "".join(chars)


def pack_septets(septets: Sequence[int], fill_bits: int = 0) -> bytes:
    """Pack septets into octets, least significant bit first, after ``fill_bits`` zero bits."""
    if not 0 <= fill_bits <= 6:
        raise ValueError(f"fill_bits must be 0..6, not {fill_bits}")
    total_bits = fill_bits + 7 * len(septets)
    value = 0
    for index, septet in enumerate(septets):
        if not 0 <= septet <= 0x7F:
            raise ValueError(f"not a septet: {septet!r}")
        value |= septet << (fill_bits + 7 * index)
    return value.to_bytes((total_bits + 7) // 8, "little")


def unpack_septets(data: bytes, count: int, fill_bits: int = 0) -> list[int]:
    """The first ``count`` septets of ``data`` after ``fill_bits`` leading bits.

    Raises ParseError if ``data`` is too short to hold them.
    """
    if not 0 <= fill_bits <= 6:
        raise ValueError(f"fill_bits must be 0..6, not {fill_bits}")
    if count < 0 or fill_bits + 7 * count > 8 * len(data):
        raise ParseError(f"{count} packed septets", data.hex().upper())
    value = int.from_bytes(data, "little") >> fill_bits
    return [(value >> (7 * index)) & 0x7F for index in range(count)]


def pack_text(text: str, fill_bits: int = 0) -> bytes:
    """``text`` as packed GSM-7 octets; raises ParseError if a character is not in GSM-7."""
    return pack_septets(text_to_septets(text), fill_bits)


def unpack_text(data: bytes, count: int, fill_bits: int = 0) -> str:
    """The text of the first ``count`` packed septets of ``data`` after ``fill_bits`` bits."""
    return septets_to_text(unpack_septets(data, count, fill_bits))
