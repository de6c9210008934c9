"""The status object as a JSON file for the POS application on the same terminal.

Written every poll, whole and atomically, so that its ``time`` tells the reader how fresh it
is (a stale file means the agent is not polling). The default path is on /run, a tmpfs: a
write per minute costs no flash.
"""

from __future__ import annotations

import json
from typing import Any

from agent.sinks.filesink import FileSink


def render_status(status: dict[str, Any]) -> bytes:
    return (json.dumps(status, indent=2, ensure_ascii=False, default=str) + "\n").encode()


class StatusFileSink(FileSink):
    name = "status_file"
    event = "status_file"

    def render(self, status: dict[str, Any]) -> bytes:
        return render_status(status)
