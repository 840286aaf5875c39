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

export async function layout(nodes: GNode[], fields: GNode[], edges: GEdge[]): Promise<Positions> {
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
        "elk.padding": "[top=34,left=10,bottom=10,right=10]",
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
  const large = nodes.length + fields.length > 800;
  const graph: ElkNode = {
    id: "root",
    layoutOptions: { ...LAYERED, ...(large ? LARGE : {}) },
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
