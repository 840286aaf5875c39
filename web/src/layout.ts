// Layered left-to-right layout (sources left) with ELK, in a web worker so the page stays
// responsive while a big graph is placed. Layered layout never overlaps nodes.
import ELK from "elkjs/lib/elk-api.js";
import type { ElkNode, ElkExtendedEdge } from "elkjs/lib/elk-api.js";
import ElkWorker from "elkjs/lib/elk-worker.min.js?worker";
import type { GEdge, GNode } from "./model";
import { shapeOf } from "./model";

export interface Size {
  width: number;
  height: number;
}

export const FIELD_SIZE: Size = { width: 190, height: 24 };

export function sizeOf(node: GNode): Size {
  const shape = shapeOf(node);
  if (shape === "field") return FIELD_SIZE;
  if (node.kind === "JOB") return { width: 160, height: 42 };
  return { width: 190, height: 48 };
}

/** Absolute centre of every node laid out (fields included). */
export type Positions = Map<string, { x: number; y: number }>;

let elk: InstanceType<typeof ELK> | null = null;
function engine(): InstanceType<typeof ELK> {
  elk ??= new ELK({ workerFactory: () => new ElkWorker() });
  return elk;
}

const LAYERED = {
  "elk.algorithm": "layered",
  "elk.direction": "RIGHT",
  "elk.edgeRouting": "POLYLINE",
  "elk.layered.spacing.nodeNodeBetweenLayers": "56",
  "elk.spacing.nodeNode": "26",
  "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
  "elk.layered.crossingMinimization.strategy": "LAYER_SWEEP",
  "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
  "elk.hierarchyHandling": "INCLUDE_CHILDREN",
};

/** Large graphs: the cheaper placement and one crossing-minimisation pass. */
const LARGE = {
  "elk.layered.nodePlacement.strategy": "LINEAR_SEGMENTS",
  "elk.layered.thoroughness": "1",
  "elk.layered.spacing.nodeNodeBetweenLayers": "60",
  "elk.spacing.nodeNode": "16",
};

/** Above this many drawn nodes ELK takes seconds; the linear-time layering below is used. */
export const ELK_LIMIT = 300;

export function engineFor(count: number): "elk" | "layered-fast" {
  return count > ELK_LIMIT ? "layered-fast" : "elk";
}

/** `gap`: room between layers (more where edges carry labels: jobs folded into them). */
export async function layout(nodes: GNode[], fields: GNode[], edges: GEdge[], gap?: number): Promise<Positions> {
  if (engineFor(nodes.length + fields.length) === "layered-fast") return fastLayered(nodes, fields, edges);
  return elkLayout(nodes, fields, edges, gap);
}

const FIELD_GAP = 4;
const HEADER = 46;

/**
 * Longest-path layering (sources left), then barycenter sweeps to cut crossings, then
 * each layer stacked in its own column: linear in nodes and edges per sweep, and no two
 * boxes can overlap. A dataset drawn with columns is one tall box with its fields inside.
 */
export function fastLayered(nodes: GNode[], fields: GNode[], edges: GEdge[]): Positions {
  const byParent = new Map<string, GNode[]>();
  for (const f of fields) if (f.parent) (byParent.get(f.parent) ?? byParent.set(f.parent, []).get(f.parent)!).push(f);
  const ownerOf = new Map<string, string>();
  for (const f of fields) if (f.parent) ownerOf.set(f.id, f.parent);
  const index = new Map(nodes.map((n, i) => [n.id, i]));
  const succ: number[][] = nodes.map(() => []);
  const pred: number[][] = nodes.map(() => []);
  const seen = new Set<string>();
  for (const e of edges) {
    const s = index.get(ownerOf.get(e.source) ?? e.source);
    const t = index.get(ownerOf.get(e.target) ?? e.target);
    if (s === undefined || t === undefined || s === t) continue;
    const key = `${s}>${t}`;
    if (seen.has(key)) continue;
    seen.add(key);
    succ[s].push(t);
    pred[t].push(s);
  }
  // Layers: Kahn's order; what a cycle leaves over is placed after its known inputs.
  const layer = new Array<number>(nodes.length).fill(0);
  const indegree = pred.map((p) => p.length);
  const queue: number[] = [];
  indegree.forEach((d, i) => d === 0 && queue.push(i));
  const done = new Array<boolean>(nodes.length).fill(false);
  let head = 0;
  for (;;) {
    while (head < queue.length) {
      const v = queue[head++];
      done[v] = true;
      for (const w of succ[v]) {
        layer[w] = Math.max(layer[w], layer[v] + 1);
        if (--indegree[w] === 0) queue.push(w);
      }
    }
    const left = done.findIndex((d, i) => !d && !queue.includes(i));
    if (left < 0) break;
    indegree[left] = 0;
    queue.push(left);
  }
  // Pull sinks-only nodes right next to their inputs' consumers? Keep sources tight instead:
  // a source sits one layer before its first consumer.
  for (let v = 0; v < nodes.length; v++) {
    if (pred[v].length === 0 && succ[v].length) layer[v] = Math.max(0, Math.min(...succ[v].map((w) => layer[w])) - 1);
  }
  const layers: number[][] = [];
  for (let v = 0; v < nodes.length; v++) (layers[layer[v]] ??= []).push(v);
  const order = new Array<number>(nodes.length).fill(0);
  const renumber = () => layers.forEach((l) => l?.forEach((v, i) => (order[v] = i)));
  renumber();
  const sweep = (neighbours: number[][], range: number[]) => {
    for (const li of range) {
      const l = layers[li];
      if (!l) continue;
      const key = new Map<number, number>();
      for (const v of l) {
        const ns = neighbours[v];
        key.set(v, ns.length ? ns.reduce((a, w) => a + order[w], 0) / ns.length : order[v]);
      }
      l.sort((a, b) => key.get(a)! - key.get(b)!);
      l.forEach((v, i) => (order[v] = i));
    }
  };
  const forward = layers.map((_, i) => i);
  const backward = [...forward].reverse();
  for (let pass = 0; pass < 4; pass++) {
    sweep(pred, forward);
    sweep(succ, backward);
  }
  const sizes = nodes.map((n) => {
    const own = byParent.get(n.id);
    if (!own?.length) return sizeOf(n);
    return { width: FIELD_SIZE.width + 20, height: HEADER + own.length * (FIELD_SIZE.height + FIELD_GAP) + 6 };
  });
  const positions: Positions = new Map();
  const gapX = 60;
  const gapY = 18;
  let x = 0;
  for (const l of layers) {
    if (!l?.length) continue;
    const width = Math.max(...l.map((v) => sizes[v].width));
    const total = l.reduce((a, v) => a + sizes[v].height, 0) + gapY * (l.length - 1);
    let y = -total / 2;
    for (const v of l) {
      const size = sizes[v];
      const cx = x + width / 2;
      positions.set(nodes[v].id, { x: cx, y: y + size.height / 2 });
      const own = byParent.get(nodes[v].id);
      own?.forEach((f, i) => positions.set(f.id, { x: cx, y: y + HEADER + i * (FIELD_SIZE.height + FIELD_GAP) + FIELD_SIZE.height / 2 }));
      y += size.height + gapY;
    }
    x += width + gapX;
  }
  return positions;
}

async function elkLayout(nodes: GNode[], fields: GNode[], edges: GEdge[], gap?: number): Promise<Positions> {
  const byParent = new Map<string, GNode[]>();
  for (const f of fields) {
    if (!f.parent) continue;
    if (!byParent.has(f.parent)) byParent.set(f.parent, []);
    byParent.get(f.parent)!.push(f);
  }
  const children: ElkNode[] = nodes.map((n) => {
    const own = byParent.get(n.id);
    if (!own?.length) return { id: n.id, ...sizeOf(n) };
    return {
      id: n.id,
      layoutOptions: {
        "elk.algorithm": "layered",
        "elk.direction": "DOWN",
        "elk.padding": "[top=46,left=10,bottom=10,right=10]",
        "elk.spacing.nodeNode": "4",
        "elk.layered.spacing.nodeNodeBetweenLayers": "4",
      },
      children: own.map((f) => ({ id: f.id, ...FIELD_SIZE })),
    };
  });
  const present = new Set([...nodes.map((n) => n.id), ...fields.map((f) => f.id)]);
  const elkEdges: ElkExtendedEdge[] = edges
    .filter((e) => present.has(e.source) && present.has(e.target) && e.source !== e.target)
    .map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] }));
  const large = nodes.length + fields.length > 150;
  const graph: ElkNode = {
    id: "root",
    layoutOptions: { ...LAYERED, ...(large ? LARGE : {}), ...(gap ? { "elk.layered.spacing.nodeNodeBetweenLayers": String(gap) } : {}) },
    children,
    edges: elkEdges,
  };
  const out = await engine().layout(graph);
  const positions: Positions = new Map();
  const walk = (node: ElkNode, dx: number, dy: number) => {
    for (const child of node.children ?? []) {
      const x = dx + (child.x ?? 0);
      const y = dy + (child.y ?? 0);
      if (!child.children?.length) positions.set(child.id, { x: x + (child.width ?? 0) / 2, y: y + (child.height ?? 0) / 2 });
      walk(child, x, y);
    }
  };
  walk(out, 0, 0);
  return positions;
}
