// Incidents and triage (optional/incidents.graphql): used only when the server's schema
// has them, found out once at start-up (see capabilities in App.tsx).
import incidentsFile from "./graphql/optional/incidents.graphql?raw";
import actionsFile from "./graphql/optional/incident_actions.graphql?raw";
import { gql, operation } from "./api";
import type { RawNode } from "./model";

export type Health = "OK" | "WARNING" | "FAILING";

export interface IncidentSummary {
  id: string;
  title: string;
  severity: string;
  status?: string;
  incidentKind: string;
  openedAt: string;
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
  const data = await gql<{ incidents: { nodes: IncidentSummary[] } }>(operation(incidentsFile, "Incidents"));
  return data.incidents.nodes;
}

export async function triage(incident: string): Promise<TriageReport> {
  const data = await gql<{ triage: TriageReport }>(operation(incidentsFile, "Triage"), { incident });
  return data.triage;
}

export async function healthOf(variables: Record<string, unknown>): Promise<Map<string, Health>> {
  const data = await gql<{ lineage: { nodes: { id: string; health?: Health }[] } }>(operation(incidentsFile, "Health"), variables);
  return new Map(data.lineage.nodes.filter((n) => n.health).map((n) => [n.id, n.health as Health]));
}

/** The incidents open on a node now, or as things stood at `asOf`, and its health then. */
export async function incidentsOn(id: string, asOf: string | null = null, field = false): Promise<{ incidents: IncidentSummary[]; health: Health | null }> {
  if (!asOf) {
    const data = await gql<{ node: { openIncidents?: IncidentSummary[] } | null }>(operation(incidentsFile, "NodeIncidents"), { id });
    return { incidents: data.node?.openIncidents ?? [], health: null };
  }
  const data = await gql<{ lineage: { nodes: { id: string; health: Health; openIncidents: IncidentSummary[] }[] } }>(operation(incidentsFile, "NodeIncidentsAsOf"), {
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
  const data = await gql<{ node: IncidentState | null }>(operation(actionsFile, "IncidentStatus"), { id });
  return data.node;
}

/** Acknowledge, resolve (with a reason) or reopen an incident. */
export async function actOn(id: string, action: "acknowledge" | "resolve" | "reopen", reason?: string): Promise<void> {
  const name = { acknowledge: "AcknowledgeIncident", resolve: "ResolveIncident", reopen: "ReopenIncident" }[action];
  await gql(operation(actionsFile, name), action === "resolve" ? { id, reason } : { id });
}
