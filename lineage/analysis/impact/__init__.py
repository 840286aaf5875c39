"""What a schema change breaks downstream: columns, datasets, jobs, models, endpoints, owners.

A change to one dataset (a column dropped, renamed or retyped, the dataset dropped or
renamed) is followed along the data flow: column by column over column lineage (``FEEDS``)
where producers reported it, dataset by dataset over the job-level projection where they
did not. Every item reached is classified:

- BREAKING: it takes its value DIRECTly from the changed column (through DIRECT steps
  only), or the whole dataset disappears or changes name. It fails, or carries wrong data.
- LIKELY: it depends on the column INDIRECTly (a join key, a filter, a grouping) somewhere
  along the way: its rows may change, it does not fail by itself.
- POSSIBLE: a job reads an affected dataset but reported no column lineage for it (a
  ``SELECT *``, a producer without column lineage), so whether it uses the column is
  unknown; everything downstream of it inherits that uncertainty.

An item's class is that of the best way to it: the way whose weakest step is strongest
(a DIRECT step keeps BREAKING, an INDIRECT one caps at LIKELY, a read without column
lineage caps at POSSIBLE). Its distance counts the jobs between the change and it.

The store is asked a few questions per hop (batched over the whole frontier); the
classification runs on the small graph collected, with no further store calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from lineage.analysis.errors import InvalidArgument, check_deadline
from lineage.analysis.impact.cache import Cache
from lineage.analysis.impact.changes import (
    Change,
    ChangeKind,
    FieldSpec,
    changes_nothing,
    checked_change,
    current_schema,
    schema_changes,
)
from lineage.analysis.impact.classify import impact_of
from lineage.analysis.impact.names import label_of, path_of
from lineage.analysis.impact.report import (
    Category,
    ChangeImpact,
    ImpactItem,
    ImpactReport,
    Notify,
    Owner,
    Severity,
    Step,
    Summary,
    owners_to_notify,
)
from lineage.analysis.lineage import DEFAULT_DEPTH, DEFAULT_NODE_BUDGET, MAX_DEPTH
from lineage.analysis.refs import NodeRef, resolve
from lineage.graph.model import NodeKind
from lineage.store.base import GraphStore, Node

__all__ = [
    "Category",
    "Change",
    "ChangeImpact",
    "ChangeKind",
    "FieldSpec",
    "ImpactItem",
    "ImpactReport",
    "Notify",
    "Owner",
    "Severity",
    "Step",
    "Summary",
    "impact",
    "schema_changes",
]


def impact(
    store: GraphStore,
    dataset: NodeRef | str,
    changes: Sequence[Change] | None = None,
    proposed_schema: Sequence[FieldSpec] | None = None,
    max_depth: int = DEFAULT_DEPTH,
    node_budget: int = DEFAULT_NODE_BUDGET,
    *,
    deadline: float | None = None,
) -> ImpactReport:
    """What ``changes`` to ``dataset`` (or replacing its schema by ``proposed_schema``)
    would hurt downstream, as the graph stands now.

    Parameters
    ----------
    store : the graph.
    dataset : a :class:`NodeRef` naming a dataset, or its internal id.
    changes : the changes, or None to derive them from ``proposed_schema`` with
        :func:`schema_changes`. Give exactly one of the two.
    max_depth : most jobs between the change and an item, 1 to :data:`MAX_DEPTH`.
    node_budget : most fields, datasets and jobs looked at per change; past it the report
        says ``truncated``.
    deadline : a ``time.monotonic()`` value after which :class:`Timeout` is raised.

    Returns
    -------
    ImpactReport : per change its items (see the module docstring for the classes), with
        a summary over all changes and the owners (ownership facets of the datasets and
        jobs reached; a field's owners are its dataset's) to notify, worst first.

    Adding a nullable column reaches nothing: no reader can depend on a column that does
    not exist yet. Adding a non-nullable one makes every job that writes the dataset
    LIKELY to fail (each write must now supply a value); its readers are not affected.

    Raises
    ------
    NotFound : no such dataset.
    InvalidArgument : not a dataset; both or neither of ``changes`` and ``proposed_schema``;
        a change naming a column the dataset does not have (or, for an added or renamed-to
        column, one it already has); a proposed schema for a dataset with no known schema;
        depth or budget out of range.

    Examples
    --------
    >>> report = impact(store, NodeRef(namespace="pg://db", name="raw.orders"),
    ...                 [Change(ChangeKind.DROP_FIELD, "amount")])  # doctest: +SKIP
    >>> [(i.node.props["name"], i.severity.value) for i in report.changes[0].items]
    ... # doctest: +SKIP
    [('build_mart', 'BREAKING'), ('mart.orders', 'BREAKING'), ('total', 'BREAKING')]
    """
    if not 1 <= max_depth <= MAX_DEPTH:
        raise InvalidArgument(f"depth must be between 1 and {MAX_DEPTH} (got {max_depth})")
    if node_budget < 1:
        raise InvalidArgument(f"the node budget must be at least 1 (got {node_budget})")
    if (changes is None) == (proposed_schema is None):
        raise InvalidArgument("give either changes or a proposed schema, not both or neither")
    node = resolve(store, dataset)
    if node.kind is not NodeKind.DATASET:
        raise InvalidArgument(f"impact starts from a dataset, not a {node.kind.value.lower()}")
    cache = Cache(store, deadline)
    cache.nodes[node.id] = node
    current = current_schema(store, node)
    if changes is None:
        assert proposed_schema is not None
        if not current:
            raise InvalidArgument(
                f"{label_of(node)} has no known schema to compare a proposed one with; "
                "name the changes instead"
            )
        changes = schema_changes(current, proposed_schema)
    known = set(current) | {path_of(f) for f in cache.fields(node.id)}
    checked = [checked_change(c, node, known, current) for c in changes]

    results: list[ChangeImpact] = []
    truncated = False
    for change in checked:
        check_deadline(deadline)
        if changes_nothing(change):
            # A CI gate that fires on nothing gets switched off: no change reaches nothing.
            results.append(
                ChangeImpact(
                    change,
                    [],
                    f"column {change.field} is already {change.old_type}: nothing changes",
                )
            )
            continue
        result, cut = impact_of(cache, node, change, max_depth, node_budget)
        results.append(result)
        truncated = truncated or cut
    every = [item for result in results for item in result.items]
    return ImpactReport(
        dataset=node,
        changes=results,
        summary=Summary.of(every),
        owners=owners_to_notify(every),
        truncated=truncated,
        max_depth=max_depth,
        nodes=_named(node, every, cache.nodes),
    )


def _named(
    dataset: Node, items: Sequence[ImpactItem], known: Mapping[str, Node]
) -> dict[str, Node]:
    """Every node the items and their chains name, the changed dataset first."""
    nodes = {dataset.id: dataset}
    for item in items:
        nodes[item.node.id] = item.node
        for step in item.chain:
            for nid in (step.source, step.target, step.job):
                if nid and nid in known:
                    nodes[nid] = known[nid]
    return nodes
