// Generated lineage graphs for the rendering benchmark and the tests: layers of datasets
// and jobs, each job reading 1-3 datasets of earlier layers and writing 1-2.
import type { GEdge, GNode } from "./model";
import { edgeKey } from "./model";

function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const TYPES = ["TABLE", "TABLE", "TABLE", "VIEW", "FEATURE_SET", "MODEL", "ENDPOINT"];

export function syntheticGraph(size: number, seed = 7): { nodes: GNode[]; edges: GEdge[] } {
  const rand = random(seed);
  const nodes: GNode[] = [];
  const edges: GEdge[] = [];
  const datasets: string[] = [];
  const add = (node: GNode) => nodes.push(node);
  const sources = Math.max(2, Math.round(size * 0.08));
  for (let i = 0; i < sources; i++) {
    const id = `d${i}`;
    add({ id, kind: "DATASET", namespace: "bench", name: `raw.table_${i}`, type: "TABLE", up: [], down: [], health: "OK" });
    datasets.push(id);
  }
  let j = 0;
  while (nodes.length < size) {
    const job = `j${j++}`;
    const kind = rand() < 0.1 ? "TRAINING" : rand() < 0.05 ? "DEPLOYMENT" : "ETL";
    add({ id: job, kind: "JOB", namespace: "bench", name: `job_${j}`, type: kind, up: [], down: [], health: rand() < 0.03 ? "FAILING" : "OK" });
    const reads = 1 + Math.floor(rand() * 3);
    // Read mostly from recent datasets so the graph gets deep, like real pipelines.
    for (let r = 0; r < reads; r++) {
      const from = datasets[Math.max(0, datasets.length - 1 - Math.floor(rand() * Math.min(datasets.length, 60)))];
      const key = edgeKey(from, job, "INPUT_TO");
      if (!edges.some((e) => e.id === key)) edges.push({ id: key, source: from, target: job, kind: "INPUT_TO" });
    }
    const writes = rand() < 0.25 ? 2 : 1;
    for (let w = 0; w < writes && nodes.length < size; w++) {
      const id = `d${nodes.length}`;
      add({ id, kind: "DATASET", namespace: "bench", name: `layer.dataset_${nodes.length}`, type: TYPES[Math.floor(rand() * TYPES.length)], up: [job], down: [], health: rand() < 0.02 ? "WARNING" : "OK" });
      edges.push({ id: edgeKey(job, id, "PRODUCES"), source: job, target: id, kind: "PRODUCES" });
      datasets.push(id);
    }
  }
  return { nodes, edges };
}
