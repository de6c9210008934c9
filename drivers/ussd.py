"""A USSD request (``AT+CUSD``) and its network reply: the prepaid balance query.

The modem answers ``OK`` at once and the network's reply comes later as a ``+CUSD:`` URC
(27.007 §7.15; vendors.md §1.7), so the reply is caught from the channel's URCs. Unlike
everything else the driver does, this sends a message to the network: callers ration it.
"""

from __future__ import annotations

import re
import time

from drivers.at.channel import AtChannel
from drivers.errors import AtCommandError, AtTimeout, ModemError
from drivers.logs import get_logger
from drivers.parsers.ussd import UssdReply, encode_ussd_request, parse_cusd

log = get_logger("posagent.ussd")

# Networks answer within seconds; 27.007 leaves the wait to the network, which ends a
# session it gets no answer to with <m>=5 after some tens of seconds.
DEFAULT_TIMEOUT = 30.0
_CSCS = re.compile(r'\+CSCS:\s*"?([A-Za-z0-9-]+)"?')
_CUSD = "+CUSD:"


def read_charset(channel: AtChannel) -> str:
    """The ``AT+CSCS`` character set (how DCS-15 text is written); "GSM" if unknown."""
    try:
        response = channel.command("AT+CSCS?")
    except AtCommandError:
        return "GSM"
    match = _CSCS.search(response.text)
    return match.group(1).upper() if match else "GSM"


def query_balance(
    channel: AtChannel,
    code: str,
    *,
    packed: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    charset: str | None = None,
) -> UssdReply:
    """Send the USSD ``code`` (e.g. ``*101#``) and return the network's decoded reply.

    packed=True for Huawei firmware (request and reply as packed GSM-7 hex). ``charset`` is
    the ``AT+CSCS`` set; None reads it. A menu reply (status 1) is answered by ending the
    session (``AT+CUSD=2``): the agent never navigates menus. Raises ParseError for a code
    that cannot be sent, AtCommandError/CmeError when the modem refuses the request (e.g.
    +CME ERROR: 30, no network), AtTimeout when no reply comes within ``timeout`` seconds.
    """
    request, dcs = encode_ussd_request(code, packed=packed)
    if charset is None:
        charset = read_charset(channel)
    command = f'AT+CUSD=1,"{request}",{dcs}'
    log.info("ussd_request", code=code, port=channel.name)
    with channel.collecting_urcs(lambda line: line.upper().startswith(_CUSD)) as seen:
        response = channel.command(command)
        # Some firmwares send the reply before OK, where it is part of the answer.
        seen += [line for line in response.lines if line.upper().startswith(_CUSD)]
        deadline = time.monotonic() + timeout
        while not seen:
            left = deadline - time.monotonic()
            if left <= 0:
                _cancel(channel)
                raise AtTimeout(command, timeout)
            channel.wait_urcs(min(left, 1.0))
    reply = parse_cusd(seen[0], charset=charset, packed=packed)
    log.info("ussd_reply", code=code, status=reply.status, text=reply.text, port=channel.name)
    if reply.status == 1:
        _cancel(channel)
    return reply


def _cancel(channel: AtChannel) -> None:
    """End the USSD session; failing to is not worth an error of its own."""
    try:
        channel.command("AT+CUSD=2")
    except ModemError as err:
        log.debug("ussd_cancel_failed", error=str(err), port=channel.name)


__all__ = ["DEFAULT_TIMEOUT", "UssdReply", "query_balance", "read_charset"]
