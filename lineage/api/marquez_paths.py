"""Marquez's ``/namespaces/...`` paths as ``/openapi.json`` describes them: one operation per
path, each with its answer's shape.

One route serves them all (``/api/v1/namespaces/{rest:path}`` in :mod:`lineage.api.marquez`):
namespaces and names may hold slashes, sent percent-encoded, which a route per path could
not match. These routes are for the description only (:func:`lineage.api.app.create_app`
adds them to the schema, not to the app); each answers as that one route does.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from lineage.api.auth import require
from lineage.api.marquez import ERRORS, Limit, Offset, namespace_resource
from lineage.api.marquez_models import (
    DatasetList,
    DatasetVersion,
    DatasetVersionList,
    DatasetWithColumnLineage,
    Job,
    JobList,
    MarquezError,
    Namespace,
    RunList,
)
from lineage.api.responses import Detail, answer

router = APIRouter(
    prefix="/api/v1/namespaces",
    dependencies=[Depends(require("read"))],
    tags=["marquez"],
    responses={
        **ERRORS,
        404: answer(
            MarquezError | Detail,
            "No such namespace, dataset, job, version or run; or (Detail) a path holding a "
            "line break, which no route matches.",
        ),
    },
)

NamespaceName = Annotated[
    str, Path(description="The namespace, percent-encoded (postgres%3A%2F%2Fdb%3A5432).")
]
DatasetName = Annotated[str, Path(description="The dataset's name, percent-encoded.")]
JobName = Annotated[str, Path(description="The job's name, percent-encoded.")]


@router.get("/{namespace}", responses={200: answer(Namespace, "The namespace.")})
async def get_namespace(request: Request, namespace: NamespaceName) -> Response:
    """A namespace: when its datasets and jobs were first and last seen."""
    return await namespace_resource(request, namespace)


@router.get(
    "/{namespace}/datasets", responses={200: answer(DatasetList, "A page of its datasets.")}
)
async def list_datasets(
    request: Request, namespace: NamespaceName, limit: Limit = 100, offset: Offset = 0
) -> Response:
    """The datasets of a namespace, in name order."""
    return await namespace_resource(request, f"{namespace}/datasets", limit, offset)


@router.get(
    "/{namespace}/datasets/{dataset}",
    responses={200: answer(DatasetWithColumnLineage, "The dataset.")},
)
async def get_dataset(request: Request, namespace: NamespaceName, dataset: DatasetName) -> Response:
    """A dataset: its current schema and facets, and each column's sources."""
    return await namespace_resource(request, f"{namespace}/datasets/{dataset}")


@router.get(
    "/{namespace}/datasets/{dataset}/versions",
    responses={200: answer(DatasetVersionList, "A page of its versions, newest first.")},
)
async def list_dataset_versions(
    request: Request,
    namespace: NamespaceName,
    dataset: DatasetName,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    """The versions of a dataset, newest first, each with the run that wrote it."""
    return await namespace_resource(
        request, f"{namespace}/datasets/{dataset}/versions", limit, offset
    )


@router.get(
    "/{namespace}/datasets/{dataset}/versions/{version}",
    responses={200: answer(DatasetVersion, "The version.")},
)
async def get_dataset_version(
    request: Request, namespace: NamespaceName, dataset: DatasetName, version: str
) -> Response:
    """One version of a dataset: its schema then, and the run that wrote it."""
    return await namespace_resource(request, f"{namespace}/datasets/{dataset}/versions/{version}")


@router.get("/{namespace}/jobs", responses={200: answer(JobList, "A page of its jobs.")})
async def list_jobs(
    request: Request, namespace: NamespaceName, limit: Limit = 100, offset: Offset = 0
) -> Response:
    """The jobs of a namespace (statements and tests are served under their job)."""
    return await namespace_resource(request, f"{namespace}/jobs", limit, offset)


@router.get("/{namespace}/jobs/{job}", responses={200: answer(Job, "The job.")})
async def get_job(request: Request, namespace: NamespaceName, job: JobName) -> Response:
    """A job: its inputs and outputs, and its latest run."""
    return await namespace_resource(request, f"{namespace}/jobs/{job}")


@router.get(
    "/{namespace}/jobs/{job}/runs",
    responses={200: answer(RunList, "A page of its runs, latest first.")},
)
async def list_runs(
    request: Request, namespace: NamespaceName, job: JobName, limit: Limit = 100, offset: Offset = 0
) -> Response:
    """The runs of a job, latest first."""
    return await namespace_resource(request, f"{namespace}/jobs/{job}/runs", limit, offset)
