"""What Feast's own OpenLineage emitter (``feast.openlineage``, Feast 0.67) means, where its
events say it only in Feast's facets.

Feast names every job and dataset in one namespace (the project's, by default) and marks each
with a facet of its own: ``feast_dataSource`` on a source table, ``feast_entity`` on an entity,
``feast_featureView`` on a feature view, ``feast_featureService`` on a feature service,
``feast_onlineStore`` on the online-store table a materialization writes. It sends no
``datasetType``, ``ownership``, ``tags`` (on datasets) nor ``columnLineage``. From those facets:

- the kind of each dataset (:func:`dataset_kind`): FEATURE_VIEW, FEATURE_SERVICE, ENTITY,
  FILE or TABLE for a source, TABLE for an online-store table;
- the owner and tags Feast keeps on each object (:func:`described`), as the ``ownership``
  and ``tags`` facets would give them;
- the column lineage the definitions imply (:func:`implied_column_lineage`): a feature view's
  features are its batch source's columns of the same name (through the source's
  ``field_mapping``), filtered on the source's timestamp column; a feature service's features
  are those of the views it selects them from; an online-store table holds the features of
  the view it is named for;
- each feature view's freshness (:func:`materialized_views`): when a materialization of it
  last completed;
- which runs declare only part of a job's lineage (:func:`partial_declaration`): ``feast
  apply`` sends one job for all feature views, ``feast_feature_views_<project>``, with only
  the objects that changed.

Everything Feast sends stays on the nodes verbatim (``facet:*`` properties).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from lineage.events import RunEvent
from lineage.events import facets as F

#: Feast's dataset facets and the kind of dataset each marks (a source's kind depends on
#: its source type, see :func:`dataset_kind`).
DATASET_KINDS: Final = {
    "feast_featureView": "FEATURE_VIEW",
    "feast_featureService": "FEATURE_SERVICE",
    "feast_entity": "ENTITY",
    "feast_onlineStore": "TABLE",
}
#: Facets whose ``owner`` and ``tags`` are those of the Feast object the dataset or job is.
_DESCRIBING: Final = (
    "feast_featureView",
    "feast_featureService",
    "feast_entity",
    "feast_dataSource",
)
#: What the implied column lineage says it is (in each transformation's description).
IMPLIED_BY: Final = "implied by the Feast definition"
_PRODUCER: Final = "https://github.com/lineage/lineage/blob/main/lineage/graph/feast.py"
_SCHEMA_URL: Final = (
    "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json"
    "#/$defs/ColumnLineageDatasetFacet"
)


def _facet(facets: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    value = facets.get(name)
    if value is None:
        return None
    # dict first: the facets of a parsed event are dicts, and an ABC check costs more.
    if isinstance(value, (dict, Mapping)) and value.get("_deleted") is not True:
        return value
    return None


def is_feast(facets: Mapping[str, Any]) -> bool:
    """Whether a job's facets are Feast's (every job Feast sends has ``feast_jobKind``)."""
    return _facet(facets, "feast_jobKind") is not None


def dataset_kind(facets: Mapping[str, Any]) -> str | None:
    """The kind of dataset Feast's facets mark, or None when none does."""
    for name, kind in DATASET_KINDS.items():
        if _facet(facets, name) is not None:
            return kind
    source = _facet(facets, "feast_dataSource")
    if source is not None:
        return "FILE" if source.get("source_type") == "FileSource" else "TABLE"
    return None


def described(facets: Mapping[str, Any]) -> dict[str, Any]:
    """``owners`` and ``tags`` of the Feast object the facets describe, shaped as the
    ``ownership`` and ``tags`` facets' (an owner ``{"name": …, "type": "FEAST"}``, a tag
    ``{"key": …, "value": …, "source": "FEAST"}``); empty when Feast gave neither."""
    for name in _DESCRIBING:
        facet = _facet(facets, name)
        if facet is None:
            continue
        found: dict[str, Any] = {}
        owner = facet.get("owner")
        if isinstance(owner, str) and owner:
            found["owners"] = [{"name": owner, "type": "FEAST"}]
        tags = facet.get("tags")
        if isinstance(tags, Mapping) and tags:
            found["tags"] = [
                {"key": str(k), "value": str(v), "source": "FEAST"} for k, v in sorted(tags.items())
            ]
        return found
    return {}


def partial_declaration(event: RunEvent) -> bool:
    """Whether a completed run of ``event``'s job states only part of the job's lineage:
    ``feast apply``'s ``feast_feature_views_<project>`` job, which Feast sends with the
    objects that changed only, so that its runs must not close the edges of the others."""
    kind = _facet(event.job.facets, "feast_jobKind")
    if kind is None or kind.get("kind") != "definition":
        return False
    project = _facet(event.job.facets, "feast_project")
    name = project.get("project_name") if project is not None else kind.get("feast_project")
    return bool(name) and event.job.name == f"feast_feature_views_{name}"


def materialized_views(event: RunEvent) -> list[tuple[str, str]]:
    """The feature views (namespace, name) a materialization run read, when ``event`` is
    one (run facet ``feast_materialization``); else none."""
    if _facet(event.run.facets, "feast_materialization") is None:
        return []
    return [
        (d.namespace, d.name)
        for d in event.inputs
        if _facet(d.facets, "feast_featureView") is not None
    ]


def _schema_names(facets: Mapping[str, Any]) -> list[str]:
    schema = _facet(facets, "schema")
    fields = schema.get("fields") if schema is not None else None
    if not isinstance(fields, list):
        return []
    return [f["name"] for f in fields if isinstance(f, Mapping) and isinstance(f.get("name"), str)]


def implied_column_lineage(event: RunEvent, target: Any) -> F.ColumnLineageDatasetFacet | None:
    """The column lineage a Feast definition implies for one output of ``event`` (an
    ``OutputDataset``), or None when the event is not Feast's, the output already has
    column lineage, or the event does not say where the output's columns come from (a
    feature view among several sources: ``feast apply`` lists every source of the project
    against every view)."""
    if not is_feast(event.job.facets) or _facet(target.facets, "columnLineage") is not None:
        return None
    fields: dict[str, list[tuple[str, str, str]]] = {}
    dataset: list[tuple[str, str, str, str]] = []
    online = _facet(target.facets, "feast_onlineStore")
    service = _facet(event.job.facets, "feast_featureService") or _facet(
        target.facets, "feast_featureService"
    )
    view = _facet(event.job.facets, "feast_featureView") or _facet(
        target.facets, "feast_featureView"
    )
    if online is not None:
        # The table holds the features of the view it is named for, as they are.
        name = online.get("feature_view")
        for source in event.inputs:
            if source.name == name and _facet(source.facets, "feast_featureView") is not None:
                for column in _schema_names(source.facets):
                    fields.setdefault(column, []).append((source.namespace, source.name, column))
    elif service is not None and service.get("name") == target.name:
        # Each feature comes from the selected view that has it.
        for column in _schema_names(target.facets):
            for source in event.inputs:
                if column in _schema_names(source.facets):
                    fields.setdefault(column, []).append((source.namespace, source.name, column))
                    break
    elif view is not None and view.get("name") == target.name:
        sources = [s for s in event.inputs if _facet(s.facets, "feast_dataSource") is not None]
        if len(sources) != 1:
            return None
        (source,) = sources
        facet = _facet(source.facets, "feast_dataSource") or {}
        mapping = facet.get("field_mapping")
        # field_mapping renames source columns to feature names: invert it.
        renamed = {
            str(v): str(k) for k, v in (mapping.items() if isinstance(mapping, Mapping) else ())
        }
        for column in _schema_names(target.facets):
            fields[column] = [(source.namespace, source.name, renamed.get(column, column))]
        timestamp = facet.get("timestamp_field")
        if isinstance(timestamp, str) and timestamp:
            dataset.append((source.namespace, source.name, timestamp, "FILTER"))
    if not fields:
        return None

    def transformation(kind: str, subtype: str) -> F.Transformation:
        return F.Transformation(type=kind, subtype=subtype, description=IMPLIED_BY)

    return F.ColumnLineageDatasetFacet.model_validate(
        {
            "_producer": _PRODUCER,
            "_schemaURL": _SCHEMA_URL,
            "fields": {
                column: F.ColumnLineageField(
                    inputFields=[
                        F.ColumnLineageInputField(
                            namespace=ns,
                            name=name,
                            field=field,
                            transformations=[transformation("DIRECT", "IDENTITY")],
                        )
                        for ns, name, field in sources
                    ]
                )
                for column, sources in sorted(fields.items())
            },
            "dataset": [
                F.ColumnLineageInputField(
                    namespace=ns,
                    name=name,
                    field=field,
                    transformations=[transformation("INDIRECT", subtype)],
                )
                for ns, name, field, subtype in dataset
            ],
        }
    )
