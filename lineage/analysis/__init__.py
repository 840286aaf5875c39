"""Questions about the graph, answered as plain functions over a store and the small
subgraphs it returns (networkx for paths)."""

from lineage.analysis.diff import JobChange, LineageDiff, SchemaChange, lineage_diff
from lineage.analysis.errors import AnalysisError, InvalidArgument, NotFound, Timeout
from lineage.analysis.lineage import (
    DEFAULT_DEPTH,
    DEFAULT_NODE_BUDGET,
    FLOWS_TO,
    MAX_DEPTH,
    Granularity,
    LineageEdge,
    LineageGraph,
    LineagePath,
    Paths,
    latest_run,
    lineage,
    paths,
    run_started,
    runs_of,
)
from lineage.analysis.refs import NodeRef, describe, ref_id, resolve
from lineage.analysis.versions import schema_field, version_at, versions_at, versions_of

__all__ = [
    "DEFAULT_DEPTH",
    "DEFAULT_NODE_BUDGET",
    "FLOWS_TO",
    "MAX_DEPTH",
    "AnalysisError",
    "Granularity",
    "InvalidArgument",
    "JobChange",
    "LineageDiff",
    "LineageEdge",
    "LineageGraph",
    "LineagePath",
    "NodeRef",
    "NotFound",
    "Paths",
    "SchemaChange",
    "Timeout",
    "describe",
    "latest_run",
    "lineage",
    "lineage_diff",
    "paths",
    "ref_id",
    "resolve",
    "run_started",
    "runs_of",
    "schema_field",
    "version_at",
    "versions_at",
    "versions_of",
]
