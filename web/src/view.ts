// What the canvas shows of the model: jobs folded into edges ("datasets only"), the level
// of detail by zoom, and short names. Pure, tested in view.test.ts.
import type { GEdge, GNode } from "./model";

/** A drawn edge that stands for a job between two datasets. */
export interface FoldedEdge extends GEdge {
  /** The names of the jobs it stands for. */
  via: string[];
  /** The ids of the edges it replaces (their highlights are its own). */
  parts: string[];
}

/** The view with every job replaced by edges from each of its inputs to each of its outputs. */
export function foldJobs(nodes: GNode[], edges: GEdge[]): { nodes: GNode[]; edges: GEdge[] } {
  const jobs = new Map(nodes.filter((n) => n.kind === "JOB").map((n) => [n.id, n]));
  if (!jobs.size) return { nodes, edges };
  const inputs = new Map<string, GEdge[]>();
  const outputs = new Map<string, GEdge[]>();
  const kept: GEdge[] = [];
  for (const e of edges) {
    if (jobs.has(e.target)) (inputs.get(e.target) ?? inputs.set(e.target, []).get(e.target)!).push(e);
    else if (jobs.has(e.source)) (outputs.get(e.source) ?? outputs.set(e.source, []).get(e.source)!).push(e);
    else kept.push(e);
  }
  const folded = new Map<string, FoldedEdge>();
  for (const [id, job] of jobs) {
    for (const i of inputs.get(id) ?? []) {
      for (const o of outputs.get(id) ?? []) {
        if (jobs.has(i.source) || jobs.has(o.target) || i.source === o.target) continue;
        const key = `FOLD:${i.source}->${o.target}`;
        const edge = folded.get(key) ?? { id: key, source: i.source, target: o.target, kind: "FLOWS_TO", via: [], parts: [] };
        if (!edge.via.includes(job.name)) edge.via.push(job.name);
        for (const part of [i.id, o.id]) if (!edge.parts.includes(part)) edge.parts.push(part);
        folded.set(key, edge);
      }
    }
  }
  return { nodes: nodes.filter((n) => n.kind !== "JOB"), edges: [...kept, ...folded.values()] };
}

export type Detail = "full" | "names" | "big-names" | "boxes";

/** Below this zoom the full labels (12px) are too small to read; names are drawn bigger. */
export const FULL_LABELS = 0.75;
/** Below this zoom even big names do not fit: only the boxes are drawn. */
export const NAMES = 0.28;

/** How much of each node's label is drawn at `zoom`: names appear as you zoom in. */
export function detailAt(zoom: number): Detail {
  if (zoom >= FULL_LABELS) return "full";
  if (zoom >= 0.45) return "names";
  if (zoom >= NAMES) return "big-names";
  return "boxes";
}

/** The telling part of a name: a table without its schema, an endpoint's path. */
export function shortName(name: string): string {
  const parts = name.split(/[./]/).filter(Boolean);
  return parts.length ? parts[parts.length - 1] : name;
}

/** A name without its database: `schema.table` of `db.schema.table`. */
export function midName(name: string): string {
  const parts = name.split(".");
  return parts.length >= 3 ? parts.slice(-2).join(".") : name;
}
