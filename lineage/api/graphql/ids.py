"""Opaque, stable node ids: the base64url of the internal id, without padding; page cursors:
the base64url of ``offset:<n>``, without padding.

Clients keep both, so they are written here rather than by ``strawberry.relay``: its
GlobalID is the padded standard base64 of ``<GraphQL type>:<id>`` and its connection
cursors that of ``arrayconnection:<n>``, so every id and cursor issued so far would change
(and no longer decode), and its Node, PageInfo and connection fields would change the schema.
"""

from __future__ import annotations

import base64
import binascii

from lineage.analysis import InvalidArgument
from lineage.analysis.refs import kind_of


def encode_id(nid: str) -> str:
    """The id the API shows for internal id ``nid``; the same node always gets the same one."""
    return base64.urlsafe_b64encode(nid.encode()).decode().rstrip("=")


def decode_id(opaque: str) -> str:
    """The internal id behind an API id. Raises InvalidArgument for one this API never issued."""
    try:
        raw = base64.urlsafe_b64decode(opaque + "=" * (-len(opaque) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidArgument(f"{opaque!r} is not a node id this service issued") from None
    try:
        kind_of(raw)
    except InvalidArgument:
        raise InvalidArgument(f"{opaque!r} is not a node id this service issued") from None
    return raw


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The offset a cursor points at. Raises InvalidArgument for a cursor not from a page."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = raw.partition(":")
        if kind != "offset" or not value.isdigit():
            raise ValueError(raw)
        return int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidArgument(
            f"{cursor!r} is not a cursor from this list; pass a pageInfo.endCursor"
        ) from None
