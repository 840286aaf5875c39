import { describe, expect, it } from "vitest";
import { diffSummary, flatSchema, lineDiff, metricDelta, schemaDiff, servingAt, servingHistory, sqlChanges, unionKeys } from "./entity";
import type { EndpointVersion } from "./entity";
import { datasetPageKind, entityHref, formatRoute, parseRoute } from "./route";

const col = (name: string, type: string | null, fields: { name: string; type: string | null }[] = []) => ({ name, type, fields });

describe("schemaDiff", () => {
  it("finds added, removed and retyped columns, nested ones by dotted path", () => {
    const before = [col("id", "BIGINT"), col("amount", "DECIMAL(12,2)"), col("address", "STRUCT", [col("city", "VARCHAR"), col("zip", "VARCHAR")])];
    const after = [col("id", "BIGINT"), col("amount", "VARCHAR"), col("address", "STRUCT", [col("city", "VARCHAR")]), col("status", "VARCHAR")];
    const diff = schemaDiff(before, after);
    expect(diff.added).toEqual([{ path: "status", type: "VARCHAR" }]);
    expect(diff.removed).toEqual([{ path: "address.zip", type: "VARCHAR" }]);
    expect(diff.retyped).toEqual([{ path: "amount", before: "DECIMAL(12,2)", after: "VARCHAR" }]);
    expect(diffSummary(diff)).toBe("+1 added, −1 removed, ~1 retyped");
  });

  it("sees no change where only the spelling of a type differs", () => {
    const diff = schemaDiff([col("amount", "decimal(12, 2)")], [col("amount", "DECIMAL(12,2)")]);
    expect(diffSummary(diff)).toBe("no change");
  });

  it("treats a first version as all added", () => {
    expect(schemaDiff([], [col("a", "INT")]).added).toEqual([{ path: "a", type: "INT" }]);
  });

  it("flattens in schema order", () => {
    expect([...flatSchema([col("a", "STRUCT", [col("b", "INT")]), col("c", null)]).keys()]).toEqual(["a", "a.b", "c"]);
  });
});

describe("lineDiff and sqlChanges", () => {
  it("keeps common lines and marks the rest", () => {
    expect(lineDiff("select a\nfrom t\nwhere x", "select a, b\nfrom t\nwhere x")).toEqual([
      { op: "-", text: "select a" },
      { op: "+", text: "select a, b" },
      { op: " ", text: "from t" },
      { op: " ", text: "where x" },
    ]);
  });

  it("reports a change only where consecutive runs' SQL differs, skipping runs without SQL", () => {
    const runs = [
      { runId: "r4", startedAt: null, sql: null },
      { runId: "r3", startedAt: null, sql: "select 2" },
      { runId: "r2", startedAt: null, sql: "select 1" },
      { runId: "r1", startedAt: null, sql: "select 1" },
    ];
    const changes = sqlChanges(runs);
    expect(changes.map((c) => [c.previous.runId, c.run.runId])).toEqual([["r2", "r3"]]);
    expect(changes[0].lines).toEqual([
      { op: "-", text: "select 1" },
      { op: "+", text: "select 2" },
    ]);
    expect(sqlChanges(runs.slice(2))).toEqual([]);
  });
});

describe("model comparison", () => {
  it("lists every metric once and shows deltas", () => {
    expect(unionKeys([{ auc: 1, f1: 2 }, null, { f1: 3, loss: 4 }])).toEqual(["auc", "f1", "loss"]);
    expect(metricDelta(0.84, 0.86)).toBe("−0.02");
    expect(metricDelta(0.71, 0.66)).toBe("+0.05");
    expect(metricDelta(3, 3)).toBe("");
    expect(metricDelta("x", 1)).toBe("");
  });
});

describe("servingHistory", () => {
  const version = (at: string, model: string, run: string): EndpointVersion => ({
    createdAt: at,
    facets: { lineage_deployment: { model: { namespace: "mlflow", name: "churn", version: "facet" } } },
    writtenBy: { runId: run, state: "COMPLETE", startedAt: at, inputs: [{ version: model, dataset: { namespace: "mlflow", name: "churn", type: "MODEL" } }] },
  });

  it("orders deployments oldest first, each until the next", () => {
    const history = servingHistory([version("2026-11-25T09:00:00Z", "2", "b"), version("2026-11-23T09:00:00Z", "1", "a")]);
    expect(history.map((d) => [d.modelVersion, d.from, d.until])).toEqual([
      ["1", "2026-11-23T09:00:00Z", "2026-11-25T09:00:00Z"],
      ["2", "2026-11-25T09:00:00Z", null],
    ]);
    expect(servingAt(history, "2026-11-24T10:00:00Z")?.modelVersion).toBe("1");
    expect(servingAt(history, "2026-11-26T10:00:00Z")?.modelVersion).toBe("2");
    expect(servingAt(history, "2026-11-22T10:00:00Z")).toBeNull();
  });

  it("falls back on the deployment facet when the run named no model", () => {
    const v = version("2026-11-23T09:00:00Z", "1", "a");
    v.writtenBy!.inputs = [];
    expect(servingHistory([v])[0]).toMatchObject({ modelVersion: "facet", model: { namespace: "mlflow", name: "churn" } });
  });
});

describe("routes", () => {
  it("round-trips namespaces with :// and names with /", () => {
    const route = { kind: "dataset" as const, namespace: "s3://acme-events", name: "app/events" };
    const hash = formatRoute(route);
    expect(hash).toBe("#/dataset/s3%3A%2F%2Facme-events/app%2Fevents");
    expect(parseRoute(hash)).toEqual(route);
  });

  it("rejects what is not a page", () => {
    expect(parseRoute("")).toBeNull();
    expect(parseRoute("#/run/a/b")).toBeNull();
    expect(parseRoute("#/dataset/only-namespace")).toBeNull();
  });

  it("sends models and endpoints to their own pages", () => {
    expect(datasetPageKind("MODEL")).toBe("model");
    expect(datasetPageKind("ENDPOINT")).toBe("endpoint");
    expect(datasetPageKind("TABLE")).toBe("dataset");
    expect(entityHref({ kind: "JOB", namespace: "dbt", name: "a.b" })).toBe("#/job/dbt/a.b");
    expect(entityHref({ kind: "FIELD", namespace: "", name: "x" })).toBeNull();
  });
});
