import { describe, expect, it } from "vitest";
import type { GEdge, GNode } from "./model";
import { detailAt, foldJobs, midName, shortName } from "./view";
import type { FoldedEdge } from "./view";

const node = (id: string, kind: "DATASET" | "JOB"): GNode => ({ id, kind, namespace: "ns", name: `s.${id}`, type: null, up: [], down: [], health: "OK" });
const edge = (source: string, target: string, kind: string): GEdge => ({ id: `${kind}:${source}->${target}`, source, target, kind });

describe("datasets only", () => {
  it("folds each job into edges from its inputs to its outputs, halving the chain", () => {
    // a, b -> j1 -> c -> j2 -> d
    const nodes = [node("a", "DATASET"), node("b", "DATASET"), node("j1", "JOB"), node("c", "DATASET"), node("j2", "JOB"), node("d", "DATASET")];
    const edges = [edge("a", "j1", "INPUT_TO"), edge("b", "j1", "INPUT_TO"), edge("j1", "c", "PRODUCES"), edge("c", "j2", "INPUT_TO"), edge("j2", "d", "PRODUCES")];
    const folded = foldJobs(nodes, edges);
    expect(folded.nodes.map((n) => n.id)).toEqual(["a", "b", "c", "d"]);
    expect(folded.edges.map((e) => `${e.source}>${e.target}`).sort()).toEqual(["a>c", "b>c", "c>d"]);
    const ac = folded.edges.find((e) => e.source === "a") as FoldedEdge;
    expect(ac.via).toEqual(["s.j1"]);
    expect(ac.parts).toEqual(["INPUT_TO:a->j1", "PRODUCES:j1->c"]);
  });

  it("keeps edges between datasets and drops jobs without both sides", () => {
    const nodes = [node("a", "DATASET"), node("load", "JOB"), node("c", "DATASET")];
    const edges = [edge("load", "a", "PRODUCES"), edge("a", "c", "FLOWS_TO")];
    const folded = foldJobs(nodes, edges);
    expect(folded.nodes.map((n) => n.id)).toEqual(["a", "c"]);
    expect(folded.edges.map((e) => e.id)).toEqual(["FLOWS_TO:a->c"]);
  });
});

describe("level of detail", () => {
  it("draws names as you zoom in", () => {
    expect(detailAt(1)).toBe("full");
    expect(detailAt(0.6)).toBe("names");
    expect(detailAt(0.3)).toBe("big-names");
    expect(detailAt(0.1)).toBe("boxes");
  });

  it("names a table without its schema", () => {
    expect(shortName("shop.public.orders")).toBe("orders");
    expect(shortName("churn-api/predict")).toBe("predict");
    expect(shortName("plain")).toBe("plain");
    expect(midName("shop.public.orders")).toBe("public.orders");
    expect(midName("raw.customers")).toBe("raw.customers");
  });
});
