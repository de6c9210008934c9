"""u-blox-specific responses (LARA-R2, TOBY-L2, SARA-R4); see vendors.md §2, §3.5."""

from __future__ import annotations

from drivers.errors import ParseError
from drivers.parsers.radio import CounterReading, payloads, split_fields, to_int


def parse_ugcntrd(text: str, cid: int | None = None) -> CounterReading:
    """``+UGCNTRD: <cid>,<sent_sess>,<recv_sess>,<sent_total>,<recv_total>``, one line per
    active context → the TOTAL counters (session ones restart with every activation).

    With ``cid`` the line of that context is used (ParseError if it is missing). Without,
    the totals of all lines are summed: a POS terminal has one data context, and where the
    firmware lists more (an IMS or second APN), every byte of them is charged to the same
    SIM, which is what the plan ledger counts. Values exceed 2^32 (MM-tests ublox-ugcntrd).
    """
    rows: dict[int, tuple[int, int]] = {}
    for payload in payloads(text, "+UGCNTRD:"):
        fields = split_fields(payload)
        if len(fields) != 5:
            raise ParseError("+UGCNTRD", text)
        row_cid, _s_sess, _r_sess, sent, recv = (to_int(f, "+UGCNTRD", text) for f in fields)
        if min(sent, recv) < 0:
            raise ParseError("+UGCNTRD", text)
        rows[row_cid] = (sent, recv)
    if not rows:
        raise ParseError("+UGCNTRD", text)
    if cid is not None:
        if cid not in rows:
            raise ParseError(f"+UGCNTRD for cid {cid}", text)
        sent, recv = rows[cid]
        return CounterReading(rx_bytes=recv, tx_bytes=sent, detail=f"UGCNTRD cid {cid} total")
    return CounterReading(
        rx_bytes=sum(r for _, r in rows.values()),
        tx_bytes=sum(s for s, _ in rows.values()),
        detail="UGCNTRD total, all cids",
    )
