// Incidents and triage (optional/incidents.graphql): used only when the server's schema
// has them, found out once at start-up (see capabilities in App.tsx).
import { gql } from "./api";
import {
  AcknowledgeIncidentDocument,
  HealthDocument,
  IncidentStatusDocument,
  IncidentsDocument,
  NodeIncidentsAsOfDocument,
  NodeIncidentsDocument,
  ReopenIncidentDocument,
  ResolveIncidentDocument,
  TriageDocument,
} from "./generated/graphql";
import type { HealthQueryVariables } from "./generated/graphql";
import type { RawNode } from "./model";

export type Health = "OK" | "WARNING" | "FAILING";

export interface IncidentSummary {
  id: string;
  title: string;
  severity: string;
  status?: string;
  incidentKind: string;
  openedAt: string | null;
  subject?: { __typename: string; id: string; name?: string; path?: string; dataset?: { id: string; name: string } | null } | null;
}

export interface Evidence {
  kind: string;
  detail: string;
  observedAt: string | null;
}

export interface Suspect {
  score: number;
  why?: string;
  node: RawNode;
  evidence: Evidence[];
  path: RawNode[];
}

export interface TriageReport {
  scope: string;
  truncated: boolean;
  subject: RawNode;
  incident: { id: string; title: string } | null;
  suspects: Suspect[];
  rawSources: { id: string }[];
  blastRadius: RawNode[];
}

export interface Capabilities {
  incidents: boolean;
  triage: boolean;
  health: boolean;
}

export const NO_CAPABILITIES: Capabilities = { incidents: false, triage: false, health: false };

export async function openIncidents(): Promise<IncidentSummary[]> {
  const data = await gql(IncidentsDocument);
  return data.incidents.nodes;
}

export async function triage(incident: string): Promise<TriageReport> {
  const data = await gql(TriageDocument, { incident });
  return data.triage;
}

export async function healthOf(variables: HealthQueryVariables): Promise<Map<string, Health>> {
  const data = await gql(HealthDocument, variables);
  return new Map(data.lineage.nodes.flatMap((n) => ("health" in n ? [[n.id, n.health] as const] : [])));
}

/** The incidents open on a node now, or as things stood at `asOf`, and its health then. */
export async function incidentsOn(id: string, asOf: string | null = null, field = false): Promise<{ incidents: IncidentSummary[]; health: Health | null }> {
  if (!asOf) {
    const data = await gql(NodeIncidentsDocument, { id });
    const node = data.node && "openIncidents" in data.node ? data.node : null;
    return { incidents: node?.openIncidents ?? [], health: null };
  }
  const data = await gql(NodeIncidentsAsOfDocument, {
    id,
    asOf,
    granularity: field ? "COLUMN" : "DATASET",
  });
  const node = data.lineage.nodes.find((n) => n.id === id);
  return { incidents: node?.openIncidents ?? [], health: node?.health ?? null };
}

export interface IncidentState {
  id: string;
  shortId: string;
  status: string;
  title: string;
  openedAt: string | null;
  acknowledgedAt: string | null;
  resolvedAt: string | null;
  resolution: string | null;
}

export async function incidentState(id: string): Promise<IncidentState | null> {
  const data = await gql(IncidentStatusDocument, { id });
  return data.node?.__typename === "Incident" ? data.node : null;
}

/** Acknowledge, resolve (with a reason) or reopen an incident. */
export async function actOn(id: string, action: "acknowledge" | "resolve" | "reopen", reason = ""): Promise<void> {
  if (action === "acknowledge") await gql(AcknowledgeIncidentDocument, { id });
  else if (action === "resolve") await gql(ResolveIncidentDocument, { id, reason });
  else await gql(ReopenIncidentDocument, { id });
}
