"""Bytes from the modem to clean text lines, with bounded memory.

Modems end lines with ``\\r\\n``, a bare ``\\r`` (echo) or a bare ``\\n`` (some Unisoc
firmwares), so both bytes separate lines and the empty lines between them are skipped.
Line noise (control bytes, invalid UTF-8) is removed from a line rather than dropping the
line, so a burst of noise next to ``OK`` does not lose the final result.
"""

from __future__ import annotations

_EOL = (10, 13)  # \n, \r as ints, the way indexing bytes yields them


def clean_line(raw: bytes) -> str:
    """Decoded `raw` without control characters, invalid bytes or surrounding blanks."""
    text = raw.decode("utf-8", "replace")
    if not text.isprintable() or "\ufffd" in text:
        text = "".join(c for c in text if c.isprintable() and c != "\ufffd")
    return text.strip()


class LineSplitter:
    """Incremental splitter; holds at most `max_line` bytes of an unfinished line.

    A line longer than `max_line` is discarded up to its terminator.
    """

    __slots__ = ("_buf", "_discarding", "_stale", "max_line")

    def __init__(self, max_line: int = 1024) -> None:
        if max_line < 1:
            raise ValueError("max_line must be positive")
        self.max_line = max_line
        self._buf = b""
        self._discarding = False
        self._stale = False

    @property
    def pending(self) -> int:
        """Bytes held of an unfinished line."""
        return len(self._buf)

    def mark_stale(self) -> bool:
        """Flag the unfinished line as left over from before a command; True if there is one.

        The next line completed then comes back from feed() through `stale` instead, so a
        cut-off fragment cannot merge into the first line of the next response.
        """
        self._stale = bool(self._buf) or self._discarding
        return self._stale

    def reset(self) -> None:
        self._buf = b""
        self._discarding = False
        self._stale = False

    def feed(self, data: bytes, stale: list[str] | None = None) -> list[str]:
        """Complete, non-blank lines in `data` (joined to what came before).

        A line completing a stale fragment is appended to `stale` (or dropped) instead.
        """
        buf = self._buf + data if self._buf else data
        if not buf:
            return []
        # bytes.splitlines() splits on \r, \n and \r\n only (str.splitlines would also
        # split on noise such as \x0b or \x1c).
        parts = buf.splitlines()
        tail = b"" if buf[-1] in _EOL else parts.pop()
        if parts:
            if self._discarding:
                parts[0] = b""  # the rest of an over-long line
                self._discarding = False
            if self._stale:
                self._stale = False
                first = parts[0]
                parts[0] = b""
                if stale is not None and first and len(first) <= self.max_line:
                    line = clean_line(first)
                    if line:
                        stale.append(line)
        elif self._discarding:
            tail = b""
        if len(tail) > self.max_line:
            self._discarding = True
            tail = b""
        self._buf = tail
        max_line = self.max_line
        lines: list[str] = []
        for raw in parts:
            if not raw or len(raw) > max_line:
                continue
            try:
                line = raw.decode()
            except UnicodeDecodeError:
                line = clean_line(raw)
            else:
                line = line.strip() if line.isprintable() else clean_line(raw)
            if line:
                lines.append(line)
        return lines
