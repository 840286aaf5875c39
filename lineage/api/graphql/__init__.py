"""The GraphQL API: lineage at dataset, column and run level, paths and search."""

from lineage.api.graphql.router import graphql_router
from lineage.api.graphql.schema import schema

__all__ = ["graphql_router", "schema"]
