"""The bytes of each event as it was received, kept so that raw events are returned as
sent: one event's body, or each item of a JSON array (a batch), sliced out of the body.

>>> items(b' [ {"a": 1} ,{"b": "]"}\\n] ', 2)
[b'{"a": 1}', b'{"b": "]"}']
"""

from __future__ import annotations

import json
import re
from typing import Final

import msgspec

_WHITESPACE: Final = re.compile(r"[ \t\n\r]*")
_DECODER: Final = json.JSONDecoder()
#: Splits a JSON array into its items' bytes without decoding them (in C).
_ITEMS: Final = msgspec.json.Decoder(list[msgspec.Raw])


def one(body: bytes) -> bytes:
    """One event's bytes: the body without the whitespace around it."""
    return body.strip(b" \t\n\r")


def items(body: bytes, count: int) -> list[bytes] | None:
    """The bytes of each item of ``body``, a JSON array of ``count`` items already decoded
    (and so known to be valid JSON), in order; None when they cannot be told apart (an
    item nested past the stdlib decoder's recursion limit), and the caller re-encodes.
    """
    try:
        found = [bytes(item) for item in _ITEMS.decode(body)]
    except (msgspec.MsgspecError, RecursionError):
        # What msgspec refuses (nesting past its limit, ...) is sliced by the slower scanner.
        return _scanned(body, count)
    return found if len(found) == count else None


def _scanned(body: bytes, count: int) -> list[bytes] | None:
    """:func:`items`, walking the array item by item with the stdlib decoder."""
    try:
        text = body.decode()
        at = _WHITESPACE.match(text, 0).end()  # type: ignore[union-attr]
        if text[at : at + 1] != "[":
            return None
        at = _WHITESPACE.match(text, at + 1).end()  # type: ignore[union-attr]
        found: list[bytes] = []
        while text[at : at + 1] not in ("]", ""):
            _, end = _DECODER.raw_decode(text, at)
            found.append(text[at:end].encode())
            at = _WHITESPACE.match(text, end).end()  # type: ignore[union-attr]
            if text[at : at + 1] == ",":
                at = _WHITESPACE.match(text, at + 1).end()  # type: ignore[union-attr]
    except (ValueError, RecursionError):
        return None
    return found if len(found) == count else None
