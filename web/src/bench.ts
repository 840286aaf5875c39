// Rendering benchmark page (bench.html): window.__bench(n) lays out and draws a generated
// graph of n nodes the way the explorer does, and reports the times in milliseconds.
import cytoscape from "cytoscape";
import { engineFor, layout } from "./layout";
import { stylesheet } from "./cystyle";
import { syntheticGraph } from "./synthetic";
import { label } from "./GraphView";
import { sizeOf } from "./layout";
import { shapeOf } from "./model";

const frame = () => new Promise<number>((resolve) => requestAnimationFrame((t) => resolve(t)));

async function bench(size: number) {
  const { nodes, edges } = syntheticGraph(size);
  const t0 = performance.now();
  const positions = await layout(nodes, [], edges);
  const t1 = performance.now();
  const container = document.getElementById("graph")!;
  const many = nodes.length > 1000;
  const cy = cytoscape({ container, style: stylesheet(), layout: { name: "preset" }, pixelRatio: 1, textureOnViewport: many, hideEdgesOnViewport: many });
  cy.batch(() => {
    cy.add(nodes.map((n) => ({ group: "nodes" as const, data: { id: n.id, label: label(n, { up: 0, down: 0 }), shape: shapeOf(n), health: n.health, ...sizeOf(n) }, position: { ...positions.get(n.id)! } })));
    cy.add(edges.map((e) => ({ group: "edges" as const, data: { id: e.id, source: e.source, target: e.target, kind: e.kind } })));
    if (many) cy.style().selector("edge").style("curve-style", "straight").update();
  });
  cy.fit(undefined, 20);
  await frame();
  await frame();
  const t2 = performance.now();
  // Interaction: 20 zoom steps at full view, the time per frame.
  const z0 = performance.now();
  for (let i = 0; i < 20; i++) {
    cy.zoom({ level: cy.zoom() * (i < 10 ? 1.08 : 1 / 1.08), renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } });
    await frame();
  }
  const z1 = performance.now();
  // No two nodes overlap.
  const boxes = cy.nodes().map((n) => n.boundingBox({ includeLabels: false }));
  let overlaps = 0;
  const sorted = boxes.sort((a, b) => a.x1 - b.x1);
  for (let i = 0; i < sorted.length; i++) {
    for (let k = i + 1; k < sorted.length && sorted[k].x1 < sorted[i].x2; k++) {
      if (sorted[k].y1 < sorted[i].y2 - 1 && sorted[i].y1 < sorted[k].y2 - 1 && sorted[k].x1 < sorted[i].x2 - 1) overlaps++;
    }
  }
  const result = {
    nodes: nodes.length,
    edges: edges.length,
    layout_engine: engineFor(nodes.length),
    layout_ms: Math.round(t1 - t0),
    first_render_ms: Math.round(t2 - t1),
    zoom_frame_ms: Math.round(((z1 - z0) / 20) * 10) / 10,
    overlaps,
  };
  cy.destroy();
  return result;
}

(window as unknown as { __bench: typeof bench }).__bench = bench;
document.title = "bench ready";
