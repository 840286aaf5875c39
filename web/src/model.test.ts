import { describe, expect, it } from "vitest";
import { LineageModel, shapeOf } from "./model";
import type { RawNode } from "./model";
import { formatState, parseState } from "./url";
import { syntheticGraph } from "./synthetic";

const ds = (id: string, up: string[], down: string[]): RawNode => ({
  __typename: "Dataset",
  id,
  namespace: "ns",
  name: id,
  dtype: null,
  quality: { status: "PASSING" },
  producedBy: up.map((x) => ({ id: x })),
  consumedBy: down.map((x) => ({ id: x })),
});
const job = (id: string, up: string[], down: string[]): RawNode => ({
  __typename: "Job",
  id,
  namespace: "ns",
  name: id,
  jtype: "ETL",
  latestRun: { state: "COMPLETE" },
  inputs: up.map((x) => ({ id: x })),
  outputs: down.map((x) => ({ id: x })),
});
const edge = (s: string, t: string, kind: string) => ({ kind, source: { id: s }, target: { id: t } });

// a -> j1 -> b -> j2 -> c, and b -> j3 (not loaded)
function chain(): LineageModel {
  const m = new LineageModel();
  m.merge(
    [ds("a", [], ["j1"]), job("j1", ["a"], ["b"]), ds("b", ["j1"], ["j2", "j3"]), job("j2", ["b"], ["c"]), ds("c", ["j2"], [])],
    [edge("a", "j1", "INPUT_TO"), edge("j1", "b", "PRODUCES"), edge("b", "j2", "INPUT_TO"), edge("j2", "c", "PRODUCES")],
  );
  m.root = "b";
  return m;
}

describe("LineageModel", () => {
  it("counts neighbours that are not drawn", () => {
    const m = chain();
    expect(m.hidden("b")).toEqual({ up: 0, down: 1 });
    m.visible.delete("a");
    expect(m.hidden("j1")).toEqual({ up: 1, down: 0 });
  });

  it("collapses one side and keeps the rest", () => {
    const m = chain();
    m.collapse("b", "up");
    expect([...m.visible].sort()).toEqual(["b", "c", "j2"]);
    m.collapse("b", "down");
    expect([...m.visible]).toEqual(["b"]);
  });

  it("never hides the root", () => {
    const m = chain();
    m.collapse("c", "up");
    expect(m.visible.has("b")).toBe(true);
  });

  it("derives health from assertions and runs", () => {
    const m = new LineageModel();
    m.merge([{ ...ds("x", [], []), quality: { status: "FAILING" } }, { ...job("y", [], []), latestRun: { state: "FAIL" } }], []);
    expect(m.nodes.get("x")!.health).toBe("FAILING");
    expect(m.nodes.get("y")!.health).toBe("FAILING");
  });

  it("shapes nodes by kind", () => {
    expect(shapeOf({ kind: "DATASET", type: "MODEL" })).toBe("model");
    expect(shapeOf({ kind: "DATASET", type: "ENDPOINT" })).toBe("endpoint");
    expect(shapeOf({ kind: "JOB", type: "DEPLOYMENT" })).toBe("deployment");
    expect(shapeOf({ kind: "DATASET", type: "FEATURE_VIEW" })).toBe("featureview");
    expect(shapeOf({ kind: "DATASET", type: "FEATURE_SERVICE" })).toBe("featureservice");
    expect(shapeOf({ kind: "DATASET", type: null })).toBe("table");
  });
});

describe("URL state", () => {
  it("round-trips", () => {
    const state = parseState("?node=abc&depth=3&mode=impact&asOf=2026-11-01T08:30:00Z&sel=abc&cols=abc&ops=%2Bu:abc&changeFields=a,b&change=RENAME_FIELD&changeTo=x");
    expect(state.depth).toBe(3);
    expect(state.mode).toBe("impact");
    expect(state.asOf).toBe("2026-11-01T08:30:00.000Z");
    expect(state.ops).toEqual(["+u:abc"]);
    expect(parseState(formatState(state))).toEqual(state);
  });

  it("ignores what it does not understand", () => {
    const state = parseState("?depth=999&mode=nonsense&asOf=yesterday&ops=bogus");
    expect(state.depth).toBe(4);
    expect(state.mode).toBe("explore");
    expect(state.asOf).toBeNull();
    expect(state.ops).toEqual([]);
  });
});

describe("synthetic graphs", () => {
  it("have the size asked for and edges between existing nodes", () => {
    const g = syntheticGraph(500);
    expect(g.nodes.length).toBe(500);
    const ids = new Set(g.nodes.map((n) => n.id));
    expect(g.edges.every((e) => ids.has(e.source) && ids.has(e.target))).toBe(true);
  });
});

import { fastLayered, sizeOf } from "./layout";

describe("fast layered layout", () => {
  it("puts sources left and never overlaps boxes", () => {
    const g = syntheticGraph(2000);
    const pos = fastLayered(g.nodes, [], g.edges);
    const byId = new Map(g.nodes.map((n) => [n.id, n]));
    for (const e of g.edges) expect(pos.get(e.source)!.x).toBeLessThan(pos.get(e.target)!.x);
    const boxes = g.nodes.map((n) => {
      const p = pos.get(n.id)!;
      const s = sizeOf(byId.get(n.id)!);
      return { x1: p.x - s.width / 2, x2: p.x + s.width / 2, y1: p.y - s.height / 2, y2: p.y + s.height / 2 };
    });
    boxes.sort((a, b) => a.x1 - b.x1);
    let overlaps = 0;
    for (let i = 0; i < boxes.length; i++)
      for (let k = i + 1; k < boxes.length && boxes[k].x1 < boxes[i].x2; k++)
        if (boxes[k].y1 < boxes[i].y2 && boxes[i].y1 < boxes[k].y2) overlaps++;
    expect(overlaps).toBe(0);
  });
});
