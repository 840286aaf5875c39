"""The GraphQL documents the command line and the REST routes send: one shape for both."""

from __future__ import annotations

from typing import Final

LINEAGE_QUERY: Final = """
query Lineage($start: NodeRef!, $direction: Direction!, $depth: Int!, $asOf: DateTime,
              $granularity: Granularity!) {
  lineage(start: $start, direction: $direction, depth: $depth, asOf: $asOf,
          granularity: $granularity) {
    truncated
    start { id }
    nodes {
      id
      kind
      ... on Dataset { namespace name datasetType: type }
      ... on Job { namespace name jobType: type }
      ... on Field { path dataset { namespace name } }
    }
    edges { kind source { id } target { id } transformation { type subtype } }
  }
}
"""

IMPACT_QUERY: Final = """
query Impact($dataset: DatasetRef!, $changes: [SchemaChangeInput!], $schema: [FieldInput!],
             $depth: Int!) {
  impact(dataset: $dataset, changes: $changes, proposedSchema: $schema, maxDepth: $depth) {
    dataset { namespace name }
    breaking
    truncated
    maxDepth
    summary { breaking likely possible fields datasets models endpoints jobs deployments }
    owners { name type severity }
    changes {
      change { kind field newName newType oldType nullable description }
      breaking
      note
      items {
        severity category distance reason uncertain
        owners { name }
        node {
          id
          kind
          ... on Dataset { namespace name datasetType: type }
          ... on Job { namespace name jobType: type }
          ... on Field { path dataset { namespace name } }
        }
        chain { kind job { name } transformation { type subtype } }
      }
    }
  }
}
"""

INCIDENTS_QUERY: Final = """
query Incidents($status: IncidentStatus, $kind: IncidentKind) {
  incidents(status: $status, kind: $kind, first: 500) {
    totalCount
    nodes {
      id shortId incidentKind title severity status openedAt resolvedAt resolution
      subject { id kind ... on Dataset { namespace name } ... on Job { namespace name }
                ... on Field { path dataset { namespace name } } }
    }
  }
}
"""

ACKNOWLEDGE_INCIDENT: Final = """
mutation Acknowledge($id: ID!) {
  acknowledgeIncident(id: $id) { id shortId status title }
}
"""

RESOLVE_INCIDENT: Final = """
mutation Resolve($id: ID!, $reason: String!) {
  resolveIncident(id: $id, reason: $reason) { id shortId status title resolution }
}
"""

REOPEN_INCIDENT: Final = """
mutation Reopen($id: ID!) {
  reopenIncident(id: $id) { id shortId status title }
}
"""

TRIAGE_QUERY: Final = """
query Triage($incident: ID, $node: NodeRef, $since: DateTime, $depth: Int!) {
  triage(incident: $incident, node: $node, since: $since, maxDepth: $depth) {
    scope truncated startedAt since
    subject { ...label }
    incident { id incidentKind title status openedAt }
    suspects {
      score distance why
      node { ...label }
      evidence { kind detail observedAt strength }
      path { ...label }
    }
    rawSources { ...label }
    blastRadius { ...label }
  }
}
fragment label on Node {
  id kind
  ... on Dataset { namespace name type }
  ... on Job { namespace name }
  ... on Field { path dataset { namespace name } }
  ... on DatasetVersion { version dataset { namespace name } }
  ... on Run { runId job { namespace name } }
}
"""
