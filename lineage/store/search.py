"""What a search by text matches in a node, and how each store's text index is asked.

Both stores answer :meth:`~lineage.store.base.GraphStore.search` the same way: a node
matches when the text, lowercased, is inside its lowercased name (a field's path when it
has no name), namespace or description, and is ranked by :func:`match_rank`. Their indexes
(SQLite FTS5 with the trigram tokenizer, a Neo4j full-text index over whole values) only
narrow the nodes down to candidates; the rank is always decided here, so both agree.

The user's text never becomes query syntax: :func:`fts5_phrase` and
:func:`lucene_substring` quote every character that means something to FTS5 or Lucene.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final, NamedTuple

from lineage.graph.model import NodeKind
from lineage.store.base import GraphStore, Node

#: Lucene refuses a term over 32,766 bytes (and a Neo4j index holding one fails): text is
#: indexed in windows of this many characters (4 bytes at most each), overlapping by
#: OVERLAP, so a text of up to OVERLAP + 1 characters is found wherever it is.
WINDOW: Final = 8_000
OVERLAP: Final = 2_000


#: What a :class:`Hit`'s node carries: enough to rank it and to tell a part of a job (no
#: facets, schemas, SQL or description, which are read only for the nodes an answer shows).
HIT_PROPS: Final = ("name", "path", "namespace", "job_type")


class Hit(NamedTuple):
    """A node a search matched, with :data:`HIT_PROPS` only, and its :func:`match_rank`."""

    node: Node
    rank: int


def hit(nid: str, kind: NodeKind, props: Mapping[str, Any], rank: int) -> Hit:
    """A :class:`Hit` from a node's properties (any of them; only :data:`HIT_PROPS` kept)."""
    kept = {k: v for k in HIT_PROPS if (v := props.get(k)) is not None}
    return Hit(Node(nid, kind, kept), rank)


def read_whole(store: GraphStore, nodes: Iterable[Node]) -> list[Node]:
    """``nodes`` (light ones, such as hits') read whole from ``store``, in the same order;
    any gone since are left out."""
    wanted = list(nodes)
    found = store.get_nodes(n.id for n in wanted)
    return [found[n.id] for n in wanted if n.id in found]


#: The properties :func:`searchable` reads: a write that changes none of them leaves a node's
#: search text as it was.
SEARCHED_PROPS: Final = frozenset({"name", "path", "namespace", "description"})


def searchable(props: Mapping[str, Any]) -> tuple[str, str, str]:
    """A node's (name, namespace, description), lowercased: what a search looks inside.

    >>> searchable({"name": "Shop.Orders", "namespace": "PG"})
    ('shop.orders', 'pg', '')
    """
    name = props.get("name") or props.get("path") or ""
    return (
        str(name).lower(),
        str(props.get("namespace") or "").lower(),
        str(props.get("description") or "").lower(),
    )


def match_rank(needle: str, name: str, namespace: str, description: str) -> int | None:
    """How well lowercased ``needle`` matches a node's lowercased texts, lower is better,
    None for no match.

    0: the whole name; 1: a prefix of the name or of its last dotted part; 2: inside the
    name; 3: inside the namespace; 4: inside the description.

    >>> match_rank("ord", "shop.orders", "pg", "")
    1
    """
    if name == needle:
        return 0
    if name.startswith(needle) or name.rsplit(".", 1)[-1].startswith(needle):
        return 1
    if needle in name:
        return 2
    if needle in namespace:
        return 3
    if needle in description:
        return 4
    return None


def fts5_phrase(needle: str) -> str:
    """An FTS5 query matching ``needle`` literally: one string, its quotes doubled, so
    that ``AND``, ``NEAR``, ``*``, ``-``, ``:`` or ``"`` in it are only characters.

    >>> fts5_phrase('a "b" OR c*')
    '"a ""b"" OR c*"'
    """
    return '"' + needle.replace('"', '""') + '"'


def lucene_substring(needle: str) -> str:
    """A Lucene query for a term holding ``needle`` anywhere (``*needle*``), every
    character but letters and digits escaped, so none is an operator (``- : / " * ? ~``,
    ``AND``, spaces) and ``\\u`` never starts an escape.

    >>> lucene_substring("a-b c")
    '*a\\\\-b\\\\ c*'
    """
    return "*" + "".join(ch if ch.isalnum() else "\\" + ch for ch in needle) + "*"


def windows(text: str) -> list[str]:
    """``text`` in pieces Lucene can index as single terms (see :data:`WINDOW`).

    >>> [len(w) for w in windows("x" * 20_000)]
    [8000, 8000, 8000]
    """
    if len(text) <= WINDOW:
        return [text]
    step = WINDOW - OVERLAP
    return [text[at : at + WINDOW] for at in range(0, len(text) - OVERLAP, step)]
