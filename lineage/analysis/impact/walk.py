"""The walk: from a changed column or dataset along the data flow to the columns,
datasets, jobs (models, deployments and endpoints among them) it reaches, each with
the best class and the shortest way it is reached at. See the package docstring for
the classes."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from lineage.analysis.impact.cache import Cache
from lineage.analysis.impact.names import alias_field, dataset_of
from lineage.analysis.impact.report import RANK, Severity, Step
from lineage.store.base import Edge

# The walk's states: a field is affected ("F"); some column of a dataset is ("A"); a whole
# dataset is, which columns unknown or all of them ("D"); a job is ("J").
Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Arc:
    target: Key
    weight: int  # 1: one more job between the change and the target; 0: the same distance
    cap: Severity | None  # the best class a way through this arc can have; None: no cap
    step: Step | None
    job: str | None = None  # the job of a column-lineage step


class Walk:
    """Collects the part of the graph a change can reach, then classifies it."""

    def __init__(self, cache: Cache, whole: bool, max_depth: int, budget: int) -> None:
        self.cache = cache
        self.whole = whole
        self.max_depth = max_depth
        self.budget = budget
        self.arcs: dict[Key, list[Arc]] = {}
        self.counted: set[str] = set()
        self.truncated = False

    # Collecting ------------------------------------------------------------------------

    def collect(self, starts: Sequence[Key]) -> None:
        """Breadth first from ``starts``, a level of distance at a time (the states one
        arc of weight 0 away joining the level they are found on), batching store calls."""
        dist: dict[Key, int] = {}
        for key in starts:
            dist[key] = 0
            self.counted.add(key[1])
        expanded: set[Key] = set()
        level: list[Key] = list(starts)
        depth = 0
        while level:
            later: list[Key] = []
            while level:
                level = [k for k in dict.fromkeys(level) if k not in expanded]
                self._prefetch(level)
                same: list[Key] = []
                for key in level:
                    expanded.add(key)
                    arcs = self.arcs.setdefault(key, [])
                    for arc in self._arcs_of(key):
                        here = depth + arc.weight
                        if here > self.max_depth:
                            continue
                        known = dist.get(arc.target)
                        if known is None:
                            real = arc.target[1]
                            if real not in self.counted:
                                if len(self.counted) >= self.budget:
                                    self.truncated = True
                                    continue
                                self.counted.add(real)
                        if known is None or here < known:
                            dist[arc.target] = here
                            (same if arc.weight == 0 else later).append(arc.target)
                        arcs.append(arc)
                level = same
            level = later
            depth += 1
        jobs = {a.job for arcs in self.arcs.values() for a in arcs if a.job}
        self.cache.load_nodes(
            {k[1] for k in dist} | {dataset_of(k[1]) for k in dist if k[0] == "F"} | jobs
        )

    def _prefetch(self, keys: Sequence[Key]) -> None:
        cache = self.cache
        fields = [k[1] for k in keys if k[0] == "F"]
        parts = [k[1] for k in keys if k[0] == "A"]
        wholes = [k[1] for k in keys if k[0] == "D"]
        jobs = [k[1] for k in keys if k[0] == "J"]
        cache.load_feeds(fields)
        cache.load_aliases([*{dataset_of(f) for f in fields}, *wholes])
        cache.load_readers([*parts, *wholes])
        cache.load_outputs(jobs)

    def _arcs_of(self, key: Key) -> Iterator[Arc]:
        kind, nid = key
        cache = self.cache
        if kind == "F":
            # DIRECT steps first, so that a way is explained by them when several tie.
            for e in sorted(cache.feeds(nid), key=lambda e: (-RANK[feed_cap(e)], e.id)):
                cap = None if self.whole else feed_cap(e)
                job = str(e.props.get("job") or "") or None
                yield Arc(("F", e.dst), 1, cap, Step("FEEDS", e.src, e.dst, job, e.props), job)
            owner = dataset_of(nid)
            for other in sorted(cache.aliases(owner)):
                alias = alias_field(nid, other)
                yield Arc(("F", alias), 0, None, Step("ALIAS_OF", nid, alias))
            yield Arc(("A", owner), 0, None, None)
        elif kind == "A":
            lineage = cache.lineage_jobs(nid)
            for e in cache.readers(nid):
                # A reader whose column use is unknown, or known only in part (a name its
                # column lineage or SQL left unresolved), may use the column.
                if e.dst not in lineage or e.props.get("column_usage_gap"):
                    step = Step("READS", nid, e.dst, e.dst, e.props)
                    yield Arc(("J", e.dst), 1, Severity.POSSIBLE, step)
        elif kind == "D":
            for e in cache.readers(nid):
                yield Arc(("J", e.dst), 1, None, Step("READS", nid, e.dst, e.dst, e.props))
            for other in sorted(cache.aliases(nid)):
                yield Arc(("D", other), 0, None, Step("ALIAS_OF", nid, other))
        elif kind == "J":
            for e in cache.outputs(nid):
                yield Arc(("D", e.dst), 0, None, Step("PRODUCES", nid, e.dst, nid, e.props))

    # Classifying -----------------------------------------------------------------------

    def classify(self, starts: Sequence[Key]) -> dict[Key, Reached]:
        """For every state: its best class, the distance and the way it is reached at it.

        One 0-1 breadth-first search per class, most sure first, over the arcs whose cap
        allows it: a state first reached in the search for class c has c as its best."""
        found: dict[Key, Reached] = {}
        for severity in Severity:
            rank = RANK[severity]
            dist: dict[Key, int] = {k: 0 for k in starts}
            parent: dict[Key, tuple[Key, Arc]] = {}
            queue: deque[Key] = deque(starts)
            while queue:
                key = queue.popleft()
                for arc in self.arcs.get(key, ()):
                    if arc.cap is not None and RANK[arc.cap] < rank:
                        continue
                    here = dist[key] + arc.weight
                    if here > self.max_depth or here >= dist.get(arc.target, here + 1):
                        continue
                    dist[arc.target] = here
                    parent[arc.target] = (key, arc)
                    if arc.weight == 0:
                        queue.appendleft(arc.target)
                    else:
                        queue.append(arc.target)
            for key, d in dist.items():
                if key not in found:
                    found[key] = Reached(severity, d, _way(key, parent))
        return found


@dataclass(frozen=True, slots=True)
class Reached:
    severity: Severity
    distance: int
    way: tuple[Arc, ...]


def _way(key: Key, parent: Mapping[Key, tuple[Key, Arc]]) -> tuple[Arc, ...]:
    arcs: list[Arc] = []
    seen = {key}
    while key in parent:
        key, arc = parent[key]
        if key in seen:
            break
        seen.add(key)
        arcs.append(arc)
    return tuple(reversed(arcs))


def feed_cap(edge: Edge) -> Severity:
    """A DIRECT column-lineage step keeps a way BREAKING; an INDIRECT-only one caps it."""
    if edge.props.get("type") == "DIRECT":
        return Severity.BREAKING
    for raw in edge.props.get("transformations") or ():
        if '"type":"DIRECT"' in str(raw):
            return Severity.BREAKING
    return Severity.LIKELY
