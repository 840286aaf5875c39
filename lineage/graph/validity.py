"""Which completions close which job-level edges: the rule both stores apply.

An edge of the job-level projection (``Dataset -INPUT_TO-> Job``, ``Job -PRODUCES->
Dataset``) is valid from its first sighting until the job's first completion after its
last sighting that *closes* it (``docs/graph.md``, *Validity intervals*). Whether a
completion closes an edge depends only on the edge and on what the completed run reported
over all its events, never on the order they arrived in:

- a static statement of the job's lineage (a ``JobEvent``) closes every edge it does not
  restate;
- ``Job -PRODUCES-> D`` is closed only by a run that wrote nothing at all: a run that
  writes other outputs (another partition of the work, another target) says nothing
  about ``D``;
- ``X -INPUT_TO-> Job`` was read *for* the outputs of the runs that read it
  (``read_for``): it is closed by a run that wrote every one of them without reading
  ``X``. One read for nothing (by runs that wrote nothing) is closed by any run that did
  not read it;
- where the run's outputs do not decide (it wrote nothing, or the input was read for
  nothing), a completion closes only edges into datasets of the namespaces its run
  reported (all of them when it reported none), so the same job run against another
  target leaves the first target's lineage open.
"""

from __future__ import annotations

from collections.abc import Collection

from lineage.graph.model import EdgeKind


def closes(
    kind: EdgeKind,
    namespace: str | None,
    read_for: Collection[str],
    outputs: Collection[str],
    scopes: Collection[str],
) -> bool:
    """Whether a completed run of the edge's job closes a job-level edge seen before it.

    ``kind`` and ``namespace`` describe the edge (``namespace``: of the dataset it leads to
    or from), ``read_for`` the outputs an ``INPUT_TO`` edge was read for; ``outputs`` and
    ``scopes`` the run: the datasets it wrote and the namespaces of every dataset it
    reported, over all its events. A static statement closes every edge: callers decide
    that without asking. Edges of other kinds are closed by any completion.

    >>> closes(EdgeKind.PRODUCES, "pg", (), outputs=["b"], scopes=["pg"])
    False
    >>> closes(EdgeKind.INPUT_TO, "pg", ["a", "b"], outputs=["a", "b", "c"], scopes=["pg"])
    True
    """
    if kind is EdgeKind.INPUT_TO:
        if read_for:
            written = outputs if isinstance(outputs, set | frozenset) else set(outputs)
            return all(d in written for d in read_for)
    elif kind is EdgeKind.PRODUCES:
        if outputs:
            return False
    else:
        return True
    return not scopes or namespace is None or namespace in scopes
