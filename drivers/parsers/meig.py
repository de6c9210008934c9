"""MeiG-specific responses; see vendors.md §3.8.

The ASR1803-based SLM770A copies Huawei's ``AT^DSFLOWQRY`` (hex, same six fields) [O third-
party driver "verified against the SLM770A AT manual"], so Huawei's parser serves it. The
SLM750 (Qualcomm) and SLM320 (UIS8910) have no known AT byte counter.
"""

from __future__ import annotations

from drivers.parsers.huawei import parse_dsflowqry

__all__ = ["parse_dsflowqry"]
