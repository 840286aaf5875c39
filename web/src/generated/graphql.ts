/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** A dataset by namespace and name. */
export type DatasetRef = {
  name: string;
  namespace: string;
};

/** UPSTREAM: what feeds the start; DOWNSTREAM: what it feeds; BOTH: the two (without siblings). */
export type Direction =
  | 'BOTH'
  | 'DOWNSTREAM'
  | 'UPSTREAM';

/** What an edge says; every lineage edge points the way data flows. */
export type EdgeKind =
  | 'ALIAS_OF'
  | 'CHILD_OF'
  | 'FEEDS'
  | 'FLOWS_TO'
  | 'HAS_FIELD'
  | 'INPUT_TO'
  | 'ON'
  | 'PRODUCES'
  | 'READ'
  | 'RENAMED_FROM'
  | 'RUN_OF'
  | 'VERSION_OF'
  | 'WROTE';

/** What points at a suspect. */
export type EvidenceKind =
  | 'CODE_CHANGE'
  | 'FAILED_ASSERTION'
  | 'METRIC_ANOMALY'
  | 'OPEN_INCIDENT'
  | 'RUN_FAILURE'
  | 'SCHEMA_CHANGE'
  | 'STALE_INPUT';

/** DATASET: datasets and jobs; COLUMN: fields; RUN: runs and exact versions. */
export type Granularity =
  | 'COLUMN'
  | 'DATASET'
  | 'RUN';

/** OK, WARNING (acknowledged incidents), FAILING (open ones). */
export type Health =
  | 'FAILING'
  | 'OK'
  | 'WARNING';

/** MODEL and ENDPOINT are datasets of those types; DEPLOYMENT a job of that type. */
export type ImpactCategory =
  | 'DATASET'
  | 'DEPLOYMENT'
  | 'ENDPOINT'
  | 'FIELD'
  | 'JOB'
  | 'MODEL';

/** BREAKING: takes its value directly from the changed column, or the whole dataset goes; LIKELY: depends on it indirectly (join key, filter, grouping); POSSIBLE: read without column lineage, so nobody can tell. */
export type ImpactSeverity =
  | 'BREAKING'
  | 'LIKELY'
  | 'POSSIBLE';

/** What kind of trouble an incident is. */
export type IncidentKind =
  | 'DRIFT'
  | 'MANUAL'
  | 'QUALITY'
  | 'RUN_FAILURE'
  | 'SCHEMA_CHANGE';

/** OPEN, ACKNOWLEDGED by a person, or RESOLVED. */
export type IncidentStatus =
  | 'ACKNOWLEDGED'
  | 'OPEN'
  | 'RESOLVED';

/** What a node is. */
export type NodeKind =
  | 'DATASET'
  | 'DATASET_VERSION'
  | 'FIELD'
  | 'INCIDENT'
  | 'JOB'
  | 'RUN';

/** A node named by its natural key. `kind` may be left out: runId names a run, field a field, version a dataset version, namespace and name a dataset. `id` (from any node) overrides the rest. */
export type NodeRef = {
  field?: string | null | undefined;
  id?: string | number | null | undefined;
  kind?: NodeKind | null | undefined;
  name?: string | null | undefined;
  namespace?: string | null | undefined;
  runId?: string | null | undefined;
  version?: string | null | undefined;
};

/** The state of a dataset's data quality assertions. */
export type QualityStatus =
  | 'FAILING'
  | 'PASSING'
  | 'UNKNOWN';

/** Where a run is in its life. */
export type RunState =
  | 'ABORT'
  | 'COMPLETE'
  | 'FAIL'
  | 'NEW'
  | 'OTHER'
  | 'RUNNING'
  | 'START';

/** One change: DROP_FIELD, RENAME_FIELD (newName), CHANGE_TYPE (newType), ADD_FIELD (newType, nullable), DROP_DATASET, RENAME_DATASET (newName). `field` is the column's dotted path; the *_DATASET kinds name none. */
export type SchemaChangeInput = {
  field?: string | null | undefined;
  kind: SchemaChangeKind;
  newName?: string | null | undefined;
  newType?: string | null | undefined;
  nullable?: boolean;
};

/** What a schema change does. */
export type SchemaChangeKind =
  | 'ADD_FIELD'
  | 'CHANGE_TYPE'
  | 'DROP_DATASET'
  | 'DROP_FIELD'
  | 'RENAME_DATASET'
  | 'RENAME_FIELD';

/** How bad an incident is. */
export type Severity =
  | 'CRITICAL'
  | 'HIGH'
  | 'LOW'
  | 'MEDIUM';

export type CapabilitiesQueryVariables = Exact<{ [key: string]: never; }>;


export type CapabilitiesQuery = { __typename: 'Query', query: { __typename: '__Type', fields: Array<{ __typename: '__Field', name: string }> | null } | null, dataset: { __typename: '__Type', fields: Array<{ __typename: '__Field', name: string }> | null } | null };

export type ColumnLineageQueryVariables = Exact<{
  start: NodeRef;
  depth: number;
  asOf?: string | null | undefined;
}>;


export type ColumnLineageQuery = { __typename: 'Query', lineage: { __typename: 'LineageGraph', truncated: boolean, nodes: Array<
      | { __typename: 'Dataset', namespace: string, name: string, id: string, kind: NodeKind, dtype: string | null, quality: { __typename: 'DataQuality', status: QualityStatus }, producedBy: Array<{ __typename: 'Job', id: string }>, consumedBy: Array<{ __typename: 'Job', id: string }> }
      | { __typename: 'DatasetVersion', version: string, id: string, kind: NodeKind, dataset: { __typename: 'Dataset', id: string, namespace: string, name: string } | null }
      | { __typename: 'Field', path: string, id: string, kind: NodeKind, ftype: string | null, dataset: { __typename: 'Dataset', id: string, namespace: string, name: string } | null }
      | { __typename: 'Incident', id: string, kind: NodeKind }
      | { __typename: 'Job', namespace: string, name: string, id: string, kind: NodeKind, jtype: string, latestRun: { __typename: 'Run', state: RunState } | null, inputs: Array<{ __typename: 'Dataset', id: string }>, outputs: Array<{ __typename: 'Dataset', id: string }> }
      | { __typename: 'Run', runId: string, id: string, kind: NodeKind, job: { __typename: 'Job', id: string, namespace: string, name: string } | null }
    >, edges: Array<{ __typename: 'Edge', id: string, kind: EdgeKind, source:
        | { __typename: 'Dataset', id: string }
        | { __typename: 'DatasetVersion', id: string }
        | { __typename: 'Field', id: string }
        | { __typename: 'Incident', id: string }
        | { __typename: 'Job', id: string }
        | { __typename: 'Run', id: string }
      , target:
        | { __typename: 'Dataset', id: string }
        | { __typename: 'DatasetVersion', id: string }
        | { __typename: 'Field', id: string }
        | { __typename: 'Incident', id: string }
        | { __typename: 'Job', id: string }
        | { __typename: 'Run', id: string }
      , transformation: { __typename: 'Transformation', type: string, subtype: string | null } | null }> } };

export type DetailQueryVariables = Exact<{
  start: NodeRef;
  asOf?: string | null | undefined;
}>;


export type DetailQuery = { __typename: 'Query', lineage: { __typename: 'LineageGraph', nodes: Array<
      | { __typename: 'Dataset', namespace: string, name: string, description: string | null, facets: unknown, id: string, kind: NodeKind, dtype: string | null, owners: Array<{ __typename: 'Owner', name: string, type: string | null }>, tags: Array<{ __typename: 'Tag', key: string, value: string | null }>, quality: { __typename: 'DataQuality', status: QualityStatus, assertions: Array<{ __typename: 'Assertion', assertion: string, success: boolean | null, column: string | null }> }, fields: Array<{ __typename: 'Field', id: string, path: string, type: string | null, description: string | null }>, currentVersion: { __typename: 'DatasetVersion', version: string, createdAt: string | null } | null, versions: { __typename: 'DatasetVersionConnection', totalCount: number, nodes: Array<{ __typename: 'DatasetVersion', version: string, createdAt: string | null, writtenBy: { __typename: 'Run', runId: string, state: RunState } | null }> }, writtenBy: { __typename: 'RunConnection', nodes: Array<{ __typename: 'Run', runId: string, state: RunState, startedAt: string | null, endedAt: string | null, duration: number | null, job: { __typename: 'Job', name: string } | null }> } }
      | { __typename: 'DatasetVersion', id: string, kind: NodeKind }
      | { __typename: 'Field', id: string, kind: NodeKind }
      | { __typename: 'Incident', id: string, kind: NodeKind }
      | { __typename: 'Job', namespace: string, name: string, jobType: string | null, integration: string | null, description: string | null, sql: string | null, facets: unknown, id: string, kind: NodeKind, jtype: string, parent: { __typename: 'Job', name: string } | null, children: Array<{ __typename: 'Job', id: string, name: string, jobType: string | null, listed: boolean, latestRun: { __typename: 'Run', state: RunState } | null }>, sourceLocation: { __typename: 'SourceLocation', url: string | null, repoUrl: string | null, path: string | null, version: string | null, branch: string | null } | null, owners: Array<{ __typename: 'Owner', name: string, type: string | null }>, runs: { __typename: 'RunConnection', totalCount: number, nodes: Array<{ __typename: 'Run', runId: string, state: RunState, startedAt: string | null, endedAt: string | null, duration: number | null, errorMessage: string | null }> } }
      | { __typename: 'Run', id: string, kind: NodeKind }
    > } };

export type FieldDetailQueryVariables = Exact<{
  id: string | number;
}>;


export type FieldDetailQuery = { __typename: 'Query', node:
    | { __typename: 'Dataset', id: string, kind: NodeKind }
    | { __typename: 'DatasetVersion', id: string, kind: NodeKind }
    | { __typename: 'Field', path: string, type: string | null, description: string | null, id: string, kind: NodeKind, dataset: { __typename: 'Dataset', id: string, namespace: string, name: string, owners: Array<{ __typename: 'Owner', name: string, type: string | null }> } | null, upstream: Array<{ __typename: 'FieldLink', field: { __typename: 'Field', id: string, path: string, dataset: { __typename: 'Dataset', name: string } | null }, transformation: { __typename: 'Transformation', type: string, subtype: string | null } | null }>, downstream: Array<{ __typename: 'FieldLink', field: { __typename: 'Field', id: string, path: string, dataset: { __typename: 'Dataset', name: string } | null }, transformation: { __typename: 'Transformation', type: string, subtype: string | null } | null }> }
    | { __typename: 'Incident', id: string, kind: NodeKind }
    | { __typename: 'Job', id: string, kind: NodeKind }
    | { __typename: 'Run', id: string, kind: NodeKind }
   | null };

export type DatasetPageQueryVariables = Exact<{
  namespace: string;
  name: string;
  versions: number;
}>;


export type DatasetPageQuery = { __typename: 'Query', dataset: { __typename: 'Dataset', id: string, namespace: string, name: string, description: string | null, dropped: boolean, lastMaterialized: string | null, health: Health, facets: unknown, dtype: string | null, owners: Array<{ __typename: 'Owner', name: string, type: string | null }>, tags: Array<{ __typename: 'Tag', key: string, value: string | null }>, fields: Array<{ __typename: 'Field', id: string, path: string, type: string | null, description: string | null }>, quality: { __typename: 'DataQuality', status: QualityStatus, assertions: Array<{ __typename: 'Assertion', assertion: string, success: boolean | null, column: string | null }> }, incidents: Array<{ __typename: 'Incident', id: string, shortId: string, incidentKind: IncidentKind, title: string, severity: Severity, status: IncidentStatus, openedAt: string | null, acknowledgedAt: string | null, resolvedAt: string | null, resolution: string | null }>, producedBy: Array<{ __typename: 'Job', id: string, namespace: string, name: string, jtype: string }>, consumedBy: Array<{ __typename: 'Job', id: string, namespace: string, name: string, jtype: string, latestRun: { __typename: 'Run', state: RunState } | null, outputs: Array<{ __typename: 'Dataset', id: string, namespace: string, name: string, dtype: string | null }> }>, currentVersion: { __typename: 'DatasetVersion', version: string } | null, versions: { __typename: 'DatasetVersionConnection', totalCount: number, nodes: Array<{ __typename: 'DatasetVersion', id: string, version: string, createdAt: string | null, observed: boolean, lifecycleState: string | null, facets: unknown, schema: Array<{ __typename: 'SchemaField', name: string, type: string | null, fields: Array<{ __typename: 'SchemaField', name: string, type: string | null }> }>, statistics: { __typename: 'Statistics', rowCount: number | null, size: number | null, metrics: unknown } | null, writtenBy: { __typename: 'Run', runId: string, state: RunState, startedAt: string | null, duration: number | null, job: { __typename: 'Job', id: string, namespace: string, name: string, jtype: string } | null, inputs: Array<{ __typename: 'DatasetVersion', id: string, version: string, dataset: { __typename: 'Dataset', namespace: string, name: string, dtype: string | null } | null }> } | null, readBy: { __typename: 'RunConnection', nodes: Array<{ __typename: 'Run', runId: string, state: RunState, startedAt: string | null, job: { __typename: 'Job', namespace: string, name: string, jtype: string } | null, outputs: Array<{ __typename: 'DatasetVersion', version: string, createdAt: string | null, dataset: { __typename: 'Dataset', namespace: string, name: string, dtype: string | null } | null }> }> } }> } } | null };

export type SchemaColumnsFragment = { __typename: 'SchemaField', name: string, type: string | null, fields: Array<{ __typename: 'SchemaField', name: string, type: string | null }> };

export type DownstreamQueryVariables = Exact<{
  start: NodeRef;
}>;


export type DownstreamQuery = { __typename: 'Query', lineage: { __typename: 'LineageGraph', truncated: boolean, nodes: Array<
      | { __typename: 'Dataset', namespace: string, name: string, id: string, dtype: string | null }
      | { __typename: 'DatasetVersion', id: string }
      | { __typename: 'Field', id: string }
      | { __typename: 'Incident', id: string }
      | { __typename: 'Job', id: string }
      | { __typename: 'Run', id: string }
    >, edges: Array<{ __typename: 'Edge', source:
        | { __typename: 'Dataset', id: string }
        | { __typename: 'DatasetVersion', id: string }
        | { __typename: 'Field', id: string }
        | { __typename: 'Incident', id: string }
        | { __typename: 'Job', id: string }
        | { __typename: 'Run', id: string }
      , target:
        | { __typename: 'Dataset', id: string }
        | { __typename: 'DatasetVersion', id: string }
        | { __typename: 'Field', id: string }
        | { __typename: 'Incident', id: string }
        | { __typename: 'Job', id: string }
        | { __typename: 'Run', id: string }
       }> } };

export type JobPageQueryVariables = Exact<{
  namespace: string;
  name: string;
  runs: number;
}>;


export type JobPageQuery = { __typename: 'Query', job: { __typename: 'Job', id: string, namespace: string, name: string, jobType: string | null, integration: string | null, processingType: string | null, description: string | null, health: Health, sql: string | null, jtype: string, owners: Array<{ __typename: 'Owner', name: string, type: string | null }>, sourceLocation: { __typename: 'SourceLocation', url: string | null, path: string | null, version: string | null, branch: string | null } | null, parent: { __typename: 'Job', namespace: string, name: string } | null, inputs: Array<{ __typename: 'Dataset', id: string, namespace: string, name: string, dtype: string | null }>, outputs: Array<{ __typename: 'Dataset', id: string, namespace: string, name: string, dtype: string | null }>, incidents: Array<{ __typename: 'Incident', id: string, shortId: string, incidentKind: IncidentKind, title: string, severity: Severity, status: IncidentStatus, openedAt: string | null, acknowledgedAt: string | null, resolvedAt: string | null, resolution: string | null }>, runs: { __typename: 'RunConnection', totalCount: number, nodes: Array<{ __typename: 'Run', runId: string, state: RunState, startedAt: string | null, endedAt: string | null, duration: number | null, errorMessage: string | null, sql: string | null }> } } | null };

export type FieldsQueryVariables = Exact<{
  start: NodeRef;
  asOf?: string | null | undefined;
}>;


export type FieldsQuery = { __typename: 'Query', lineage: { __typename: 'LineageGraph', nodes: Array<
      | { __typename: 'Dataset', id: string, fields: Array<{ __typename: 'Field', id: string, path: string, type: string | null }> }
      | { __typename: 'DatasetVersion', id: string }
      | { __typename: 'Field', id: string }
      | { __typename: 'Incident', id: string }
      | { __typename: 'Job', id: string }
      | { __typename: 'Run', id: string }
    > } };

type GNode_Dataset_Fragment = { __typename: 'Dataset', namespace: string, name: string, id: string, kind: NodeKind, dtype: string | null, quality: { __typename: 'DataQuality', status: QualityStatus }, producedBy: Array<{ __typename: 'Job', id: string }>, consumedBy: Array<{ __typename: 'Job', id: string }> };

type GNode_DatasetVersion_Fragment = { __typename: 'DatasetVersion', version: string, id: string, kind: NodeKind, dataset: { __typename: 'Dataset', id: string, namespace: string, name: string } | null };

type GNode_Field_Fragment = { __typename: 'Field', path: string, id: string, kind: NodeKind, ftype: string | null, dataset: { __typename: 'Dataset', id: string, namespace: string, name: string } | null };

type GNode_Incident_Fragment = { __typename: 'Incident', id: string, kind: NodeKind };

type GNode_Job_Fragment = { __typename: 'Job', namespace: string, name: string, id: string, kind: NodeKind, jtype: string, latestRun: { __typename: 'Run', state: RunState } | null, inputs: Array<{ __typename: 'Dataset', id: string }>, outputs: Array<{ __typename: 'Dataset', id: string }> };

type GNode_Run_Fragment = { __typename: 'Run', runId: string, id: string, kind: NodeKind, job: { __typename: 'Job', id: string, namespace: string, name: string } | null };

export type GNodeFragment =
  | GNode_Dataset_Fragment
  | GNode_DatasetVersion_Fragment
  | GNode_Field_Fragment
  | GNode_Incident_Fragment
  | GNode_Job_Fragment
  | GNode_Run_Fragment
;

export type ImpactQueryVariables = Exact<{
  dataset: DatasetRef;
  changes?: Array<SchemaChangeInput> | SchemaChangeInput | null | undefined;
}>;


export type ImpactQuery = { __typename: 'Query', impact: { __typename: 'ImpactReport', breaking: boolean, truncated: boolean, summary: { __typename: 'ImpactSummary', breaking: number, likely: number, possible: number }, owners: Array<{ __typename: 'OwnerToNotify', name: string, type: string | null, severity: ImpactSeverity }>, changes: Array<{ __typename: 'ChangeImpact', breaking: boolean, note: string | null, change: { __typename: 'ProposedChange', kind: SchemaChangeKind, field: string | null, newName: string | null, newType: string | null, description: string }, items: Array<{ __typename: 'ImpactItem', category: ImpactCategory, severity: ImpactSeverity, distance: number, reason: string, owners: Array<{ __typename: 'Owner', name: string }>, node:
          | { __typename: 'Dataset', namespace: string, name: string, id: string, kind: NodeKind, dtype: string | null, quality: { __typename: 'DataQuality', status: QualityStatus }, producedBy: Array<{ __typename: 'Job', id: string }>, consumedBy: Array<{ __typename: 'Job', id: string }> }
          | { __typename: 'DatasetVersion', version: string, id: string, kind: NodeKind, dataset: { __typename: 'Dataset', id: string, namespace: string, name: string } | null }
          | { __typename: 'Field', path: string, id: string, kind: NodeKind, ftype: string | null, dataset: { __typename: 'Dataset', id: string, namespace: string, name: string } | null }
          | { __typename: 'Incident', id: string, kind: NodeKind }
          | { __typename: 'Job', namespace: string, name: string, id: string, kind: NodeKind, jtype: string, latestRun: { __typename: 'Run', state: RunState } | null, inputs: Array<{ __typename: 'Dataset', id: string }>, outputs: Array<{ __typename: 'Dataset', id: string }> }
          | { __typename: 'Run', runId: string, id: string, kind: NodeKind, job: { __typename: 'Job', id: string, namespace: string, name: string } | null }
         }> }> } };

export type LineageQueryVariables = Exact<{
  start: NodeRef;
  direction: Direction;
  depth: number;
  asOf?: string | null | undefined;
}>;


export type LineageQuery = { __typename: 'Query', lineage: { __typename: 'LineageGraph', truncated: boolean, nodes: Array<
      | { __typename: 'Dataset', namespace: string, name: string, id: string, kind: NodeKind, dtype: string | null, quality: { __typename: 'DataQuality', status: QualityStatus }, producedBy: Array<{ __typename: 'Job', id: string }>, consumedBy: Array<{ __typename: 'Job', id: string }> }
      | { __typename: 'DatasetVersion', version: string, id: string, kind: NodeKind, dataset: { __typename: 'Dataset', id: string, namespace: string, name: string } | null }
      | { __typename: 'Field', path: string, id: string, kind: NodeKind, ftype: string | null, dataset: { __typename: 'Dataset', id: string, namespace: string, name: string } | null }
      | { __typename: 'Incident', id: string, kind: NodeKind }
      | { __typename: 'Job', namespace: string, name: string, id: string, kind: NodeKind, jtype: string, latestRun: { __typename: 'Run', state: RunState } | null, inputs: Array<{ __typename: 'Dataset', id: string }>, outputs: Array<{ __typename: 'Dataset', id: string }> }
      | { __typename: 'Run', runId: string, id: string, kind: NodeKind, job: { __typename: 'Job', id: string, namespace: string, name: string } | null }
    >, edges: Array<{ __typename: 'Edge', id: string, kind: EdgeKind, source:
        | { __typename: 'Dataset', id: string }
        | { __typename: 'DatasetVersion', id: string }
        | { __typename: 'Field', id: string }
        | { __typename: 'Incident', id: string }
        | { __typename: 'Job', id: string }
        | { __typename: 'Run', id: string }
      , target:
        | { __typename: 'Dataset', id: string }
        | { __typename: 'DatasetVersion', id: string }
        | { __typename: 'Field', id: string }
        | { __typename: 'Incident', id: string }
        | { __typename: 'Job', id: string }
        | { __typename: 'Run', id: string }
       }> } };

export type IncidentStatusQueryVariables = Exact<{
  id: string | number;
}>;


export type IncidentStatusQuery = { __typename: 'Query', node:
    | { __typename: 'Dataset', id: string }
    | { __typename: 'DatasetVersion', id: string }
    | { __typename: 'Field', id: string }
    | { __typename: 'Incident', shortId: string, status: IncidentStatus, title: string, openedAt: string | null, acknowledgedAt: string | null, resolvedAt: string | null, resolution: string | null, id: string }
    | { __typename: 'Job', id: string }
    | { __typename: 'Run', id: string }
   | null };

export type AcknowledgeIncidentMutationVariables = Exact<{
  id: string | number;
}>;


export type AcknowledgeIncidentMutation = { __typename: 'Mutation', acknowledgeIncident: { __typename: 'Incident', id: string, status: IncidentStatus } };

export type ResolveIncidentMutationVariables = Exact<{
  id: string | number;
  reason: string;
}>;


export type ResolveIncidentMutation = { __typename: 'Mutation', resolveIncident: { __typename: 'Incident', id: string, status: IncidentStatus } };

export type ReopenIncidentMutationVariables = Exact<{
  id: string | number;
}>;


export type ReopenIncidentMutation = { __typename: 'Mutation', reopenIncident: { __typename: 'Incident', id: string, status: IncidentStatus } };

export type IncidentsQueryVariables = Exact<{ [key: string]: never; }>;


export type IncidentsQuery = { __typename: 'Query', incidents: { __typename: 'IncidentConnection', nodes: Array<{ __typename: 'Incident', id: string, title: string, severity: Severity, status: IncidentStatus, incidentKind: IncidentKind, openedAt: string | null, subject:
        | { __typename: 'Dataset', namespace: string, name: string, id: string, kind: NodeKind }
        | { __typename: 'DatasetVersion', id: string, kind: NodeKind }
        | { __typename: 'Field', path: string, id: string, kind: NodeKind, dataset: { __typename: 'Dataset', id: string, name: string } | null }
        | { __typename: 'Incident', id: string, kind: NodeKind }
        | { __typename: 'Job', namespace: string, name: string, id: string, kind: NodeKind }
        | { __typename: 'Run', id: string, kind: NodeKind }
       | null }> } };

export type TriageQueryVariables = Exact<{
  incident: string | number;
}>;


export type TriageQuery = { __typename: 'Query', triage: { __typename: 'TriageReportType', scope: string, truncated: boolean, subject:
      | { __typename: 'Dataset', namespace: string, name: string, id: string, kind: NodeKind, dtype: string | null, quality: { __typename: 'DataQuality', status: QualityStatus }, producedBy: Array<{ __typename: 'Job', id: string }>, consumedBy: Array<{ __typename: 'Job', id: string }> }
      | { __typename: 'DatasetVersion', version: string, id: string, kind: NodeKind, dataset: { __typename: 'Dataset', id: string, namespace: string, name: string } | null }
      | { __typename: 'Field', path: string, id: string, kind: NodeKind, ftype: string | null, dataset: { __typename: 'Dataset', id: string, namespace: string, name: string } | null }
      | { __typename: 'Incident', id: string, kind: NodeKind }
      | { __typename: 'Job', namespace: string, name: string, id: string, kind: NodeKind, jtype: string, latestRun: { __typename: 'Run', state: RunState } | null, inputs: Array<{ __typename: 'Dataset', id: string }>, outputs: Array<{ __typename: 'Dataset', id: string }> }
      | { __typename: 'Run', runId: string, id: string, kind: NodeKind, job: { __typename: 'Job', id: string, namespace: string, name: string } | null }
    , incident: { __typename: 'Incident', id: string, title: string } | null, suspects: Array<{ __typename: 'Suspect', score: number, why: string, node:
        | { __typename: 'Dataset', namespace: string, name: string, id: string, kind: NodeKind, dtype: string | null, quality: { __typename: 'DataQuality', status: QualityStatus }, producedBy: Array<{ __typename: 'Job', id: string }>, consumedBy: Array<{ __typename: 'Job', id: string }> }
        | { __typename: 'DatasetVersion', version: string, id: string, kind: NodeKind, dataset: { __typename: 'Dataset', id: string, namespace: string, name: string } | null }
        | { __typename: 'Field', path: string, id: string, kind: NodeKind, ftype: string | null, dataset: { __typename: 'Dataset', id: string, namespace: string, name: string } | null }
        | { __typename: 'Incident', id: string, kind: NodeKind }
        | { __typename: 'Job', namespace: string, name: string, id: string, kind: NodeKind, jtype: string, latestRun: { __typename: 'Run', state: RunState } | null, inputs: Array<{ __typename: 'Dataset', id: string }>, outputs: Array<{ __typename: 'Dataset', id: string }> }
        | { __typename: 'Run', runId: string, id: string, kind: NodeKind, job: { __typename: 'Job', id: string, namespace: string, name: string } | null }
      , evidence: Array<{ __typename: 'EvidenceType', kind: EvidenceKind, detail: string, observedAt: string | null }>, path: Array<
        | { __typename: 'Dataset', namespace: string, name: string, id: string, kind: NodeKind, dtype: string | null, quality: { __typename: 'DataQuality', status: QualityStatus }, producedBy: Array<{ __typename: 'Job', id: string }>, consumedBy: Array<{ __typename: 'Job', id: string }> }
        | { __typename: 'DatasetVersion', version: string, id: string, kind: NodeKind, dataset: { __typename: 'Dataset', id: string, namespace: string, name: string } | null }
        | { __typename: 'Field', path: string, id: string, kind: NodeKind, ftype: string | null, dataset: { __typename: 'Dataset', id: string, namespace: string, name: string } | null }
        | { __typename: 'Incident', id: string, kind: NodeKind }
        | { __typename: 'Job', namespace: string, name: string, id: string, kind: NodeKind, jtype: string, latestRun: { __typename: 'Run', state: RunState } | null, inputs: Array<{ __typename: 'Dataset', id: string }>, outputs: Array<{ __typename: 'Dataset', id: string }> }
        | { __typename: 'Run', runId: string, id: string, kind: NodeKind, job: { __typename: 'Job', id: string, namespace: string, name: string } | null }
      > }>, rawSources: Array<
      | { __typename: 'Dataset', id: string }
      | { __typename: 'DatasetVersion', id: string }
      | { __typename: 'Field', id: string }
      | { __typename: 'Incident', id: string }
      | { __typename: 'Job', id: string }
      | { __typename: 'Run', id: string }
    >, blastRadius: Array<
      | { __typename: 'Dataset', namespace: string, name: string, id: string, kind: NodeKind, dtype: string | null, quality: { __typename: 'DataQuality', status: QualityStatus }, producedBy: Array<{ __typename: 'Job', id: string }>, consumedBy: Array<{ __typename: 'Job', id: string }> }
      | { __typename: 'DatasetVersion', version: string, id: string, kind: NodeKind, dataset: { __typename: 'Dataset', id: string, namespace: string, name: string } | null }
      | { __typename: 'Field', path: string, id: string, kind: NodeKind, ftype: string | null, dataset: { __typename: 'Dataset', id: string, namespace: string, name: string } | null }
      | { __typename: 'Incident', id: string, kind: NodeKind }
      | { __typename: 'Job', namespace: string, name: string, id: string, kind: NodeKind, jtype: string, latestRun: { __typename: 'Run', state: RunState } | null, inputs: Array<{ __typename: 'Dataset', id: string }>, outputs: Array<{ __typename: 'Dataset', id: string }> }
      | { __typename: 'Run', runId: string, id: string, kind: NodeKind, job: { __typename: 'Job', id: string, namespace: string, name: string } | null }
    > } };

export type HealthQueryVariables = Exact<{
  start: NodeRef;
  direction: Direction;
  depth: number;
  asOf?: string | null | undefined;
}>;


export type HealthQuery = { __typename: 'Query', lineage: { __typename: 'LineageGraph', nodes: Array<
      | { __typename: 'Dataset', health: Health, id: string }
      | { __typename: 'DatasetVersion', id: string }
      | { __typename: 'Field', id: string }
      | { __typename: 'Incident', id: string }
      | { __typename: 'Job', health: Health, id: string }
      | { __typename: 'Run', id: string }
    > } };

export type NodeIncidentsQueryVariables = Exact<{
  id: string | number;
}>;


export type NodeIncidentsQuery = { __typename: 'Query', node:
    | { __typename: 'Dataset', openIncidents: Array<{ __typename: 'Incident', id: string, title: string, severity: Severity, status: IncidentStatus, incidentKind: IncidentKind, openedAt: string | null }> }
    | { __typename: 'DatasetVersion' }
    | { __typename: 'Field', openIncidents: Array<{ __typename: 'Incident', id: string, title: string, severity: Severity, status: IncidentStatus, incidentKind: IncidentKind, openedAt: string | null }> }
    | { __typename: 'Incident' }
    | { __typename: 'Job', openIncidents: Array<{ __typename: 'Incident', id: string, title: string, severity: Severity, status: IncidentStatus, incidentKind: IncidentKind, openedAt: string | null }> }
    | { __typename: 'Run' }
   | null };

export type NodeIncidentsAsOfQueryVariables = Exact<{
  id: string | number;
  asOf?: string | null | undefined;
  granularity: Granularity;
}>;


export type NodeIncidentsAsOfQuery = { __typename: 'Query', lineage: { __typename: 'LineageGraph', nodes: Array<
      | { __typename: 'Dataset', id: string, health: Health, openIncidents: Array<{ __typename: 'Incident', id: string, title: string, severity: Severity, status: IncidentStatus, incidentKind: IncidentKind, openedAt: string | null }> }
      | { __typename: 'DatasetVersion', id: string, health: Health, openIncidents: Array<{ __typename: 'Incident', id: string, title: string, severity: Severity, status: IncidentStatus, incidentKind: IncidentKind, openedAt: string | null }> }
      | { __typename: 'Field', id: string, health: Health, openIncidents: Array<{ __typename: 'Incident', id: string, title: string, severity: Severity, status: IncidentStatus, incidentKind: IncidentKind, openedAt: string | null }> }
      | { __typename: 'Incident', id: string, health: Health, openIncidents: Array<{ __typename: 'Incident', id: string, title: string, severity: Severity, status: IncidentStatus, incidentKind: IncidentKind, openedAt: string | null }> }
      | { __typename: 'Job', id: string, health: Health, openIncidents: Array<{ __typename: 'Incident', id: string, title: string, severity: Severity, status: IncidentStatus, incidentKind: IncidentKind, openedAt: string | null }> }
      | { __typename: 'Run', id: string, health: Health, openIncidents: Array<{ __typename: 'Incident', id: string, title: string, severity: Severity, status: IncidentStatus, incidentKind: IncidentKind, openedAt: string | null }> }
    > } };

export type PathsQueryVariables = Exact<{
  from: NodeRef;
  to: NodeRef;
  asOf?: string | null | undefined;
}>;


export type PathsQuery = { __typename: 'Query', paths: { __typename: 'Paths', truncated: boolean, paths: Array<{ __typename: 'Path', length: number, nodes: Array<
        | { __typename: 'Dataset', namespace: string, name: string, id: string, kind: NodeKind, dtype: string | null, quality: { __typename: 'DataQuality', status: QualityStatus }, producedBy: Array<{ __typename: 'Job', id: string }>, consumedBy: Array<{ __typename: 'Job', id: string }> }
        | { __typename: 'DatasetVersion', version: string, id: string, kind: NodeKind, dataset: { __typename: 'Dataset', id: string, namespace: string, name: string } | null }
        | { __typename: 'Field', path: string, id: string, kind: NodeKind, ftype: string | null, dataset: { __typename: 'Dataset', id: string, namespace: string, name: string } | null }
        | { __typename: 'Incident', id: string, kind: NodeKind }
        | { __typename: 'Job', namespace: string, name: string, id: string, kind: NodeKind, jtype: string, latestRun: { __typename: 'Run', state: RunState } | null, inputs: Array<{ __typename: 'Dataset', id: string }>, outputs: Array<{ __typename: 'Dataset', id: string }> }
        | { __typename: 'Run', runId: string, id: string, kind: NodeKind, job: { __typename: 'Job', id: string, namespace: string, name: string } | null }
      >, edges: Array<{ __typename: 'Edge', id: string, kind: EdgeKind, source:
          | { __typename: 'Dataset', id: string }
          | { __typename: 'DatasetVersion', id: string }
          | { __typename: 'Field', id: string }
          | { __typename: 'Incident', id: string }
          | { __typename: 'Job', id: string }
          | { __typename: 'Run', id: string }
        , target:
          | { __typename: 'Dataset', id: string }
          | { __typename: 'DatasetVersion', id: string }
          | { __typename: 'Field', id: string }
          | { __typename: 'Incident', id: string }
          | { __typename: 'Job', id: string }
          | { __typename: 'Run', id: string }
         }> }> } };

export type SearchQueryVariables = Exact<{
  query: string;
  first?: number | null | undefined;
}>;


export type SearchQuery = { __typename: 'Query', search: { __typename: 'NodeConnection', totalCount: number, nodes: Array<
      | { __typename: 'Dataset', namespace: string, name: string, id: string, kind: NodeKind, dtype: string | null }
      | { __typename: 'DatasetVersion', id: string, kind: NodeKind }
      | { __typename: 'Field', path: string, id: string, kind: NodeKind, ftype: string | null, dataset: { __typename: 'Dataset', id: string, namespace: string, name: string } | null }
      | { __typename: 'Incident', id: string, kind: NodeKind }
      | { __typename: 'Job', namespace: string, name: string, id: string, kind: NodeKind, jtype: string }
      | { __typename: 'Run', id: string, kind: NodeKind }
    > } };

export type TimelineQueryVariables = Exact<{
  start: NodeRef;
  depth: number;
}>;


export type TimelineQuery = { __typename: 'Query', lineage: { __typename: 'LineageGraph', nodes: Array<
      | { __typename: 'Dataset', id: string, versions: { __typename: 'DatasetVersionConnection', nodes: Array<{ __typename: 'DatasetVersion', createdAt: string | null }> } }
      | { __typename: 'DatasetVersion', id: string }
      | { __typename: 'Field', id: string }
      | { __typename: 'Incident', id: string }
      | { __typename: 'Job', id: string, runs: { __typename: 'RunConnection', nodes: Array<{ __typename: 'Run', startedAt: string | null }> } }
      | { __typename: 'Run', id: string }
    > } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const SchemaColumnsFragmentDoc = new TypedDocumentString(`
    fragment SchemaColumns on SchemaField {
  name
  type
  fields {
    name
    type
  }
}
    `, {"fragmentName":"SchemaColumns"}) as unknown as TypedDocumentString<SchemaColumnsFragment, unknown>;
export const GNodeFragmentDoc = new TypedDocumentString(`
    fragment GNode on Node {
  __typename
  id
  kind
  ... on Dataset {
    namespace
    name
    dtype: type
    quality {
      status
    }
    producedBy {
      id
    }
    consumedBy {
      id
    }
  }
  ... on Job {
    namespace
    name
    jtype: type
    latestRun {
      state
    }
    inputs {
      id
    }
    outputs {
      id
    }
  }
  ... on Field {
    path
    ftype: type
    dataset {
      id
      namespace
      name
    }
  }
  ... on DatasetVersion {
    version
    dataset {
      id
      namespace
      name
    }
  }
  ... on Run {
    runId
    job {
      id
      namespace
      name
    }
  }
}
    `, {"fragmentName":"GNode"}) as unknown as TypedDocumentString<GNodeFragment, unknown>;
export const CapabilitiesDocument = new TypedDocumentString(`
    query Capabilities {
  query: __type(name: "Query") {
    fields {
      name
    }
  }
  dataset: __type(name: "Dataset") {
    fields {
      name
    }
  }
}
    `) as unknown as TypedDocumentString<CapabilitiesQuery, CapabilitiesQueryVariables>;
export const ColumnLineageDocument = new TypedDocumentString(`
    query ColumnLineage($start: NodeRef!, $depth: Int!, $asOf: DateTime) {
  lineage(
    start: $start
    direction: BOTH
    depth: $depth
    granularity: COLUMN
    asOf: $asOf
  ) {
    nodes {
      ...GNode
    }
    edges {
      id
      kind
      source {
        id
      }
      target {
        id
      }
      transformation {
        type
        subtype
      }
    }
    truncated
  }
}
    fragment GNode on Node {
  __typename
  id
  kind
  ... on Dataset {
    namespace
    name
    dtype: type
    quality {
      status
    }
    producedBy {
      id
    }
    consumedBy {
      id
    }
  }
  ... on Job {
    namespace
    name
    jtype: type
    latestRun {
      state
    }
    inputs {
      id
    }
    outputs {
      id
    }
  }
  ... on Field {
    path
    ftype: type
    dataset {
      id
      namespace
      name
    }
  }
  ... on DatasetVersion {
    version
    dataset {
      id
      namespace
      name
    }
  }
  ... on Run {
    runId
    job {
      id
      namespace
      name
    }
  }
}`) as unknown as TypedDocumentString<ColumnLineageQuery, ColumnLineageQueryVariables>;
export const DetailDocument = new TypedDocumentString(`
    query Detail($start: NodeRef!, $asOf: DateTime) {
  lineage(start: $start, depth: 0, asOf: $asOf) {
    nodes {
      __typename
      id
      kind
      ... on Dataset {
        namespace
        name
        dtype: type
        description
        owners {
          name
          type
        }
        tags {
          key
          value
        }
        facets
        quality {
          status
          assertions {
            assertion
            success
            column
          }
        }
        fields {
          id
          path
          type
          description
        }
        currentVersion {
          version
          createdAt
        }
        versions(first: 10) {
          totalCount
          nodes {
            version
            createdAt
            writtenBy {
              runId
              state
            }
          }
        }
        writtenBy(first: 10) {
          nodes {
            runId
            state
            startedAt
            endedAt
            duration
            job {
              name
            }
          }
        }
      }
      ... on Job {
        namespace
        name
        jtype: type
        jobType
        integration
        description
        sql
        parent {
          name
        }
        children {
          id
          name
          jobType
          listed
          latestRun {
            state
          }
        }
        sourceLocation {
          url
          repoUrl
          path
          version
          branch
        }
        owners {
          name
          type
        }
        facets
        runs(first: 10) {
          totalCount
          nodes {
            runId
            state
            startedAt
            endedAt
            duration
            errorMessage
          }
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<DetailQuery, DetailQueryVariables>;
export const FieldDetailDocument = new TypedDocumentString(`
    query FieldDetail($id: ID!) {
  node(id: $id) {
    __typename
    id
    kind
    ... on Field {
      path
      type
      description
      dataset {
        id
        namespace
        name
        owners {
          name
          type
        }
      }
      upstream {
        field {
          id
          path
          dataset {
            name
          }
        }
        transformation {
          type
          subtype
        }
      }
      downstream {
        field {
          id
          path
          dataset {
            name
          }
        }
        transformation {
          type
          subtype
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<FieldDetailQuery, FieldDetailQueryVariables>;
export const DatasetPageDocument = new TypedDocumentString(`
    query DatasetPage($namespace: String!, $name: String!, $versions: Int!) {
  dataset(namespace: $namespace, name: $name) {
    id
    namespace
    name
    dtype: type
    description
    dropped
    lastMaterialized
    health
    owners {
      name
      type
    }
    tags {
      key
      value
    }
    fields {
      id
      path
      type
      description
    }
    quality {
      status
      assertions {
        assertion
        success
        column
      }
    }
    incidents {
      id
      shortId
      incidentKind
      title
      severity
      status
      openedAt
      acknowledgedAt
      resolvedAt
      resolution
    }
    facets
    producedBy {
      id
      namespace
      name
      jtype: type
    }
    consumedBy {
      id
      namespace
      name
      jtype: type
      latestRun {
        state
      }
      outputs {
        id
        namespace
        name
        dtype: type
      }
    }
    currentVersion {
      version
    }
    versions(first: $versions) {
      totalCount
      nodes {
        id
        version
        createdAt
        observed
        lifecycleState
        facets
        schema {
          ...SchemaColumns
        }
        statistics {
          rowCount
          size
          metrics
        }
        writtenBy {
          runId
          state
          startedAt
          duration
          job {
            id
            namespace
            name
            jtype: type
          }
          inputs {
            id
            version
            dataset {
              namespace
              name
              dtype: type
            }
          }
        }
        readBy(first: 5) {
          nodes {
            runId
            state
            startedAt
            job {
              namespace
              name
              jtype: type
            }
            outputs {
              version
              createdAt
              dataset {
                namespace
                name
                dtype: type
              }
            }
          }
        }
      }
    }
  }
}
    fragment SchemaColumns on SchemaField {
  name
  type
  fields {
    name
    type
  }
}`) as unknown as TypedDocumentString<DatasetPageQuery, DatasetPageQueryVariables>;
export const DownstreamDocument = new TypedDocumentString(`
    query Downstream($start: NodeRef!) {
  lineage(start: $start, direction: DOWNSTREAM, depth: 12) {
    truncated
    nodes {
      __typename
      id
      ... on Dataset {
        namespace
        name
        dtype: type
      }
    }
    edges {
      source {
        id
      }
      target {
        id
      }
    }
  }
}
    `) as unknown as TypedDocumentString<DownstreamQuery, DownstreamQueryVariables>;
export const JobPageDocument = new TypedDocumentString(`
    query JobPage($namespace: String!, $name: String!, $runs: Int!) {
  job(namespace: $namespace, name: $name) {
    id
    namespace
    name
    jtype: type
    jobType
    integration
    processingType
    description
    health
    sql
    owners {
      name
      type
    }
    sourceLocation {
      url
      path
      version
      branch
    }
    parent {
      namespace
      name
    }
    inputs {
      id
      namespace
      name
      dtype: type
    }
    outputs {
      id
      namespace
      name
      dtype: type
    }
    incidents {
      id
      shortId
      incidentKind
      title
      severity
      status
      openedAt
      acknowledgedAt
      resolvedAt
      resolution
    }
    runs(first: $runs) {
      totalCount
      nodes {
        runId
        state
        startedAt
        endedAt
        duration
        errorMessage
        sql
      }
    }
  }
}
    `) as unknown as TypedDocumentString<JobPageQuery, JobPageQueryVariables>;
export const FieldsDocument = new TypedDocumentString(`
    query Fields($start: NodeRef!, $asOf: DateTime) {
  lineage(start: $start, depth: 0, asOf: $asOf) {
    nodes {
      __typename
      id
      ... on Dataset {
        fields {
          id
          path
          type
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<FieldsQuery, FieldsQueryVariables>;
export const ImpactDocument = new TypedDocumentString(`
    query Impact($dataset: DatasetRef!, $changes: [SchemaChangeInput!]) {
  impact(dataset: $dataset, changes: $changes, maxDepth: 10) {
    breaking
    truncated
    summary {
      breaking
      likely
      possible
    }
    owners {
      name
      type
      severity
    }
    changes {
      breaking
      note
      change {
        kind
        field
        newName
        newType
        description
      }
      items {
        category
        severity
        distance
        reason
        owners {
          name
        }
        node {
          ...GNode
        }
      }
    }
  }
}
    fragment GNode on Node {
  __typename
  id
  kind
  ... on Dataset {
    namespace
    name
    dtype: type
    quality {
      status
    }
    producedBy {
      id
    }
    consumedBy {
      id
    }
  }
  ... on Job {
    namespace
    name
    jtype: type
    latestRun {
      state
    }
    inputs {
      id
    }
    outputs {
      id
    }
  }
  ... on Field {
    path
    ftype: type
    dataset {
      id
      namespace
      name
    }
  }
  ... on DatasetVersion {
    version
    dataset {
      id
      namespace
      name
    }
  }
  ... on Run {
    runId
    job {
      id
      namespace
      name
    }
  }
}`) as unknown as TypedDocumentString<ImpactQuery, ImpactQueryVariables>;
export const LineageDocument = new TypedDocumentString(`
    query Lineage($start: NodeRef!, $direction: Direction!, $depth: Int!, $asOf: DateTime) {
  lineage(start: $start, direction: $direction, depth: $depth, asOf: $asOf) {
    nodes {
      ...GNode
    }
    edges {
      id
      kind
      source {
        id
      }
      target {
        id
      }
    }
    truncated
  }
}
    fragment GNode on Node {
  __typename
  id
  kind
  ... on Dataset {
    namespace
    name
    dtype: type
    quality {
      status
    }
    producedBy {
      id
    }
    consumedBy {
      id
    }
  }
  ... on Job {
    namespace
    name
    jtype: type
    latestRun {
      state
    }
    inputs {
      id
    }
    outputs {
      id
    }
  }
  ... on Field {
    path
    ftype: type
    dataset {
      id
      namespace
      name
    }
  }
  ... on DatasetVersion {
    version
    dataset {
      id
      namespace
      name
    }
  }
  ... on Run {
    runId
    job {
      id
      namespace
      name
    }
  }
}`) as unknown as TypedDocumentString<LineageQuery, LineageQueryVariables>;
export const IncidentStatusDocument = new TypedDocumentString(`
    query IncidentStatus($id: ID!) {
  node(id: $id) {
    __typename
    id
    ... on Incident {
      shortId
      status
      title
      openedAt
      acknowledgedAt
      resolvedAt
      resolution
    }
  }
}
    `) as unknown as TypedDocumentString<IncidentStatusQuery, IncidentStatusQueryVariables>;
export const AcknowledgeIncidentDocument = new TypedDocumentString(`
    mutation AcknowledgeIncident($id: ID!) {
  acknowledgeIncident(id: $id) {
    id
    status
  }
}
    `) as unknown as TypedDocumentString<AcknowledgeIncidentMutation, AcknowledgeIncidentMutationVariables>;
export const ResolveIncidentDocument = new TypedDocumentString(`
    mutation ResolveIncident($id: ID!, $reason: String!) {
  resolveIncident(id: $id, reason: $reason) {
    id
    status
  }
}
    `) as unknown as TypedDocumentString<ResolveIncidentMutation, ResolveIncidentMutationVariables>;
export const ReopenIncidentDocument = new TypedDocumentString(`
    mutation ReopenIncident($id: ID!) {
  reopenIncident(id: $id) {
    id
    status
  }
}
    `) as unknown as TypedDocumentString<ReopenIncidentMutation, ReopenIncidentMutationVariables>;
export const IncidentsDocument = new TypedDocumentString(`
    query Incidents {
  incidents(status: OPEN, first: 50) {
    nodes {
      id
      title
      severity
      status
      incidentKind
      openedAt
      subject {
        __typename
        id
        kind
        ... on Dataset {
          namespace
          name
        }
        ... on Job {
          namespace
          name
        }
        ... on Field {
          path
          dataset {
            id
            name
          }
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<IncidentsQuery, IncidentsQueryVariables>;
export const TriageDocument = new TypedDocumentString(`
    query Triage($incident: ID!) {
  triage(incident: $incident) {
    scope
    truncated
    subject {
      ...GNode
    }
    incident {
      id
      title
    }
    suspects {
      score
      why
      node {
        ...GNode
      }
      evidence {
        kind
        detail
        observedAt
      }
      path {
        ...GNode
      }
    }
    rawSources {
      id
    }
    blastRadius {
      ...GNode
    }
  }
}
    fragment GNode on Node {
  __typename
  id
  kind
  ... on Dataset {
    namespace
    name
    dtype: type
    quality {
      status
    }
    producedBy {
      id
    }
    consumedBy {
      id
    }
  }
  ... on Job {
    namespace
    name
    jtype: type
    latestRun {
      state
    }
    inputs {
      id
    }
    outputs {
      id
    }
  }
  ... on Field {
    path
    ftype: type
    dataset {
      id
      namespace
      name
    }
  }
  ... on DatasetVersion {
    version
    dataset {
      id
      namespace
      name
    }
  }
  ... on Run {
    runId
    job {
      id
      namespace
      name
    }
  }
}`) as unknown as TypedDocumentString<TriageQuery, TriageQueryVariables>;
export const HealthDocument = new TypedDocumentString(`
    query Health($start: NodeRef!, $direction: Direction!, $depth: Int!, $asOf: DateTime) {
  lineage(start: $start, direction: $direction, depth: $depth, asOf: $asOf) {
    nodes {
      __typename
      id
      ... on Dataset {
        health
      }
      ... on Job {
        health
      }
    }
  }
}
    `) as unknown as TypedDocumentString<HealthQuery, HealthQueryVariables>;
export const NodeIncidentsDocument = new TypedDocumentString(`
    query NodeIncidents($id: ID!) {
  node(id: $id) {
    __typename
    ... on Dataset {
      openIncidents {
        id
        title
        severity
        status
        incidentKind
        openedAt
      }
    }
    ... on Job {
      openIncidents {
        id
        title
        severity
        status
        incidentKind
        openedAt
      }
    }
    ... on Field {
      openIncidents {
        id
        title
        severity
        status
        incidentKind
        openedAt
      }
    }
  }
}
    `) as unknown as TypedDocumentString<NodeIncidentsQuery, NodeIncidentsQueryVariables>;
export const NodeIncidentsAsOfDocument = new TypedDocumentString(`
    query NodeIncidentsAsOf($id: ID!, $asOf: DateTime, $granularity: Granularity!) {
  lineage(start: {id: $id}, depth: 0, asOf: $asOf, granularity: $granularity) {
    nodes {
      __typename
      id
      health
      openIncidents {
        id
        title
        severity
        status
        incidentKind
        openedAt
      }
    }
  }
}
    `) as unknown as TypedDocumentString<NodeIncidentsAsOfQuery, NodeIncidentsAsOfQueryVariables>;
export const PathsDocument = new TypedDocumentString(`
    query Paths($from: NodeRef!, $to: NodeRef!, $asOf: DateTime) {
  paths(from: $from, to: $to, maxDepth: 20, limit: 10, asOf: $asOf) {
    truncated
    paths {
      length
      nodes {
        ...GNode
      }
      edges {
        id
        kind
        source {
          id
        }
        target {
          id
        }
      }
    }
  }
}
    fragment GNode on Node {
  __typename
  id
  kind
  ... on Dataset {
    namespace
    name
    dtype: type
    quality {
      status
    }
    producedBy {
      id
    }
    consumedBy {
      id
    }
  }
  ... on Job {
    namespace
    name
    jtype: type
    latestRun {
      state
    }
    inputs {
      id
    }
    outputs {
      id
    }
  }
  ... on Field {
    path
    ftype: type
    dataset {
      id
      namespace
      name
    }
  }
  ... on DatasetVersion {
    version
    dataset {
      id
      namespace
      name
    }
  }
  ... on Run {
    runId
    job {
      id
      namespace
      name
    }
  }
}`) as unknown as TypedDocumentString<PathsQuery, PathsQueryVariables>;
export const SearchDocument = new TypedDocumentString(`
    query Search($query: String!, $first: Int) {
  search(query: $query, first: $first) {
    totalCount
    nodes {
      __typename
      id
      kind
      ... on Dataset {
        namespace
        name
        dtype: type
      }
      ... on Job {
        namespace
        name
        jtype: type
      }
      ... on Field {
        path
        ftype: type
        dataset {
          id
          namespace
          name
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<SearchQuery, SearchQueryVariables>;
export const TimelineDocument = new TypedDocumentString(`
    query Timeline($start: NodeRef!, $depth: Int!) {
  lineage(start: $start, direction: BOTH, depth: $depth) {
    nodes {
      __typename
      id
      ... on Dataset {
        versions(first: 50) {
          nodes {
            createdAt
          }
        }
      }
      ... on Job {
        runs(first: 50) {
          nodes {
            startedAt
          }
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<TimelineQuery, TimelineQueryVariables>;