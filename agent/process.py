"""The garbage collector in a posagent process.

A command is mostly start-up: its imports create tens of thousands of objects and hardly
any garbage, and the cyclic collector, running again and again while they are made, took
about a tenth of a `posagent check`; collecting them once more at exit, another tenth.
`entry` (what `posagent` and `python -m agent` run) therefore switches the collector off
for the start and freezes what is left at the end. A command that keeps running calls
`keep_running`: what start-up made lives as long as the process, so it is frozen (later
collections skip it) and the collector is switched back on for the garbage to come.
"""

from __future__ import annotations

import gc


def start_command() -> None:
    gc.disable()


def end_command() -> None:
    gc.freeze()  # the process exits and frees everything: nothing to collect first


def keep_running() -> None:
    """From a command that runs until stopped (run, demo, simulate). Nothing to do in a
    process that did not start through `start_command`, such as a test's."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
