// The explorer's graph: every node loaded so far, and which of them are on screen.
// Pure data, no rendering, so it can be tested on its own (model.test.ts).

export type Kind = "DATASET" | "JOB" | "FIELD";
export type Health = "OK" | "WARNING" | "FAILING";
export type Shape = "table" | "job" | "model" | "deployment" | "endpoint" | "feature" | "featureview" | "featureservice" | "field";

export interface GNode {
  id: string;
  kind: Kind;
  namespace: string;
  name: string;
  /** Dataset type (TABLE, MODEL, ENDPOINT, ...), job type (ETL, TRAINING, ...), column type. */
  type: string | null;
  /** Upstream and downstream neighbours at dataset level (jobs of a dataset, datasets of a job). */
  up: string[];
  down: string[];
  /** For a field: its dataset. */
  parent?: string;
  /** From the incidents API when there is one, else from assertions and the latest run. */
  health: Health;
}

export interface GEdge {
  id: string;
  source: string;
  target: string;
  kind: string;
  /** Column edges: DIRECT or INDIRECT. */
  transformation?: string | null;
  subtype?: string | null;
}

export function shapeOf(node: Pick<GNode, "kind" | "type">): Shape {
  const type = (node.type ?? "").toUpperCase();
  if (node.kind === "FIELD") return "field";
  if (node.kind === "JOB") return type === "DEPLOYMENT" ? "deployment" : "job";
  if (type === "MODEL") return "model";
  if (type === "ENDPOINT") return "endpoint";
  if (type === "FEATURE_SET") return "feature";
  // A feature store's (Feast's) feature views and the services that bundle them.
  if (type === "FEATURE_VIEW") return "featureview";
  if (type === "FEATURE_SERVICE") return "featureservice";
  return "table";
}

/** A node as a GraphQL answer gives it (the GNode fragment). */
export interface RawNode {
  __typename: string;
  id: string;
  namespace?: string;
  name?: string;
  path?: string;
  dtype?: string | null;
  jtype?: string;
  ftype?: string | null;
  quality?: { status: string };
  latestRun?: { state: string } | null;
  producedBy?: { id: string }[];
  consumedBy?: { id: string }[];
  inputs?: { id: string }[];
  outputs?: { id: string }[];
  dataset?: { id: string; namespace: string; name: string } | null;
  version?: string;
  runId?: string;
  job?: { id: string; namespace: string; name: string } | null;
}

/** The dataset or job a node stands for in the dataset-level graph: a version's dataset,
 * a run's job, a column's dataset. */
export function topLevel(raw: RawNode): RawNode | null {
  if (raw.__typename === "Dataset" || raw.__typename === "Job") return raw;
  const ds = raw.dataset;
  if ((raw.__typename === "DatasetVersion" || raw.__typename === "Field") && ds) return { __typename: "Dataset", id: ds.id, namespace: ds.namespace, name: ds.name };
  if (raw.__typename === "Run" && raw.job) return { __typename: "Job", id: raw.job.id, namespace: raw.job.namespace, name: raw.job.name, jtype: "ETL" };
  return null;
}

export function fromRaw(raw: RawNode): GNode | null {
  const ids = (list?: { id: string }[]) => (list ?? []).map((x) => x.id);
  switch (raw.__typename) {
    case "Dataset":
      return {
        id: raw.id,
        kind: "DATASET",
        namespace: raw.namespace ?? "",
        name: raw.name ?? "",
        type: raw.dtype ?? null,
        up: ids(raw.producedBy),
        down: ids(raw.consumedBy),
        health: raw.quality?.status === "FAILING" ? "FAILING" : "OK",
      };
    case "Job":
      return {
        id: raw.id,
        kind: "JOB",
        namespace: raw.namespace ?? "",
        name: raw.name ?? "",
        type: raw.jtype ?? null,
        up: ids(raw.inputs),
        down: ids(raw.outputs),
        health: raw.latestRun?.state === "FAIL" ? "FAILING" : raw.latestRun?.state === "ABORT" ? "WARNING" : "OK",
      };
    case "Field":
      return {
        id: raw.id,
        kind: "FIELD",
        namespace: raw.dataset?.namespace ?? "",
        name: raw.path ?? "",
        type: raw.ftype ?? null,
        up: [],
        down: [],
        parent: raw.dataset?.id,
        health: "OK",
      };
    default:
      return null;
  }
}

export function edgeKey(source: string, target: string, kind: string): string {
  return `${kind}:${source}->${target}`;
}

export class LineageModel {
  nodes = new Map<string, GNode>();
  edges = new Map<string, GEdge>();
  visible = new Set<string>();
  /** Datasets drawn with their columns. */
  expandedColumns = new Set<string>();
  /** Datasets' columns once loaded. */
  columns = new Map<string, GNode[]>();
  root: string | null = null;

  clone(): LineageModel {
    const copy = new LineageModel();
    copy.nodes = new Map(this.nodes);
    copy.edges = new Map(this.edges);
    copy.visible = new Set(this.visible);
    copy.expandedColumns = new Set(this.expandedColumns);
    copy.columns = new Map(this.columns);
    copy.root = this.root;
    return copy;
  }

  /** Adds nodes and edges of an answer; the answer's nodes become visible when `show`. */
  merge(raw: RawNode[], edges: { id?: string; kind: string; source: { id: string }; target: { id: string }; transformation?: { type: string; subtype?: string | null } | null }[], show = true): GNode[] {
    const added: GNode[] = [];
    for (const r of raw) {
      const node = fromRaw(r);
      if (!node) continue;
      const known = this.nodes.get(node.id);
      // Keep a health the incidents API gave over the one derived here.
      this.nodes.set(node.id, known && known.health !== "OK" && node.health === "OK" ? { ...node, health: known.health } : node);
      added.push(node);
      if (show) this.visible.add(node.id);
    }
    for (const e of edges) {
      if (!["INPUT_TO", "PRODUCES", "FEEDS", "FLOWS_TO"].includes(e.kind)) continue;
      const key = edgeKey(e.source.id, e.target.id, e.kind);
      this.edges.set(key, {
        id: key,
        source: e.source.id,
        target: e.target.id,
        kind: e.kind,
        transformation: e.transformation?.type ?? null,
        subtype: e.transformation?.subtype ?? null,
      });
    }
    return added;
  }

  /** Neighbours of `id` not on screen, per direction. */
  hidden(id: string): { up: number; down: number } {
    const node = this.nodes.get(id);
    if (!node) return { up: 0, down: 0 };
    return {
      up: node.up.filter((n) => !this.visible.has(n)).length,
      down: node.down.filter((n) => !this.visible.has(n)).length,
    };
  }

  /** Visible dataset-level neighbours of `id`. */
  private visibleNeighbours(id: string, direction: "up" | "down"): string[] {
    const out: string[] = [];
    for (const e of this.edges.values()) {
      if (e.kind === "FEEDS") continue;
      if (direction === "up" && e.target === id && this.visible.has(e.source)) out.push(e.source);
      if (direction === "down" && e.source === id && this.visible.has(e.target)) out.push(e.target);
    }
    return out;
  }

  /** Hides what lies beyond `id` in one direction, then whatever got cut off from the root. */
  collapse(id: string, direction: "up" | "down"): void {
    const beyond = new Set<string>();
    const queue = this.visibleNeighbours(id, direction);
    while (queue.length) {
      const next = queue.pop()!;
      if (beyond.has(next) || next === id) continue;
      beyond.add(next);
      queue.push(...this.visibleNeighbours(next, direction));
    }
    for (const n of beyond) if (n !== this.root) this.visible.delete(n);
    this.keepConnected();
  }

  /** Only what is connected to the root (ignoring direction) stays visible. */
  keepConnected(): void {
    if (!this.root || !this.visible.has(this.root)) return;
    const adjacency = new Map<string, string[]>();
    const link = (a: string, b: string) => {
      if (!adjacency.has(a)) adjacency.set(a, []);
      adjacency.get(a)!.push(b);
    };
    for (const e of this.edges.values()) {
      const s = this.owner(e.source);
      const t = this.owner(e.target);
      if (this.visible.has(s) && this.visible.has(t)) {
        link(s, t);
        link(t, s);
      }
    }
    const seen = new Set<string>([this.root]);
    const queue = [this.root];
    while (queue.length) {
      for (const n of adjacency.get(queue.pop()!) ?? []) {
        if (!seen.has(n)) {
          seen.add(n);
          queue.push(n);
        }
      }
    }
    for (const n of [...this.visible]) if (!seen.has(n)) this.visible.delete(n);
  }

  /** The dataset a field belongs to, or the node itself. */
  owner(id: string): string {
    const node = this.nodes.get(id);
    return node?.kind === "FIELD" && node.parent ? node.parent : id;
  }

  /** Visible top-level nodes, and the fields drawn inside expanded datasets. */
  view(): { nodes: GNode[]; fields: GNode[]; edges: GEdge[] } {
    const nodes = [...this.visible].map((id) => this.nodes.get(id)).filter((n): n is GNode => !!n && n.kind !== "FIELD");
    const fields: GNode[] = [];
    for (const ds of this.expandedColumns) {
      if (this.visible.has(ds)) fields.push(...(this.columns.get(ds) ?? []));
    }
    const drawn = new Set([...nodes.map((n) => n.id), ...fields.map((f) => f.id)]);
    const edges = [...this.edges.values()].filter((e) => drawn.has(e.source) && drawn.has(e.target));
    return { nodes, fields, edges };
  }
}
