// A model's metrics and parameters, and what an endpoint serves, as tables (from the
// lineage_model and lineage_deployment facets) instead of a JSON tree.

type Row = [string, string];

export interface MlFacts {
  title: string;
  facts: Row[];
  metrics: Row[];
  params: Row[];
}

const text = (v: unknown): string => (typeof v === "number" ? String(Math.round(v * 1e6) / 1e6) : typeof v === "string" ? v : JSON.stringify(v));
const rows = (value: unknown): Row[] =>
  value && typeof value === "object" && !Array.isArray(value) ? Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, text(v)]) : [];

/** The model and deployment facts in `facets`, if any. */
export function mlFacts(facets: unknown): MlFacts[] {
  const all = (facets && typeof facets === "object" ? facets : {}) as Record<string, Record<string, unknown> | undefined>;
  const out: MlFacts[] = [];
  const model = all.lineage_model;
  if (model && typeof model === "object") {
    const facts: Row[] = [];
    for (const [key, label] of [["version", "version"], ["framework", "framework"], ["registryUri", "registry"]] as const) {
      if (model[key] !== undefined && model[key] !== null) facts.push([label, text(model[key])]);
    }
    out.push({ title: "Model", facts, metrics: rows(model.metrics), params: rows(model.hyperparameters) });
  }
  const deployment = all.lineage_deployment;
  if (deployment && typeof deployment === "object") {
    const facts: Row[] = [];
    const served = deployment.model as Record<string, unknown> | undefined;
    if (served) facts.push(["serves", `${text(served.name ?? "?")}${served.version !== undefined ? ` version ${text(served.version)}` : ""}`]);
    if (deployment.environment) facts.push(["environment", text(deployment.environment)]);
    if (deployment.url) facts.push(["url", text(deployment.url)]);
    out.push({ title: "Deployment", facts, metrics: [], params: [] });
  }
  return out;
}

function Table({ caption, rows: list, testid }: { caption: string; rows: Row[]; testid: string }) {
  return (
    <table className="kv" data-testid={testid}>
      <caption>{caption}</caption>
      <tbody>
        {list.map(([k, v]) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function MlFactsSection({ facets }: { facets: unknown }) {
  return (
    <>
      {mlFacts(facets).map((m) => (
        <section key={m.title} data-testid={`ml-${m.title.toLowerCase()}`}>
          <h3>{m.title}</h3>
          {m.facts.length > 0 && <Table caption="" rows={m.facts} testid={`${m.title.toLowerCase()}-facts`} />}
          {m.metrics.length > 0 && <Table caption="Metrics" rows={m.metrics} testid="model-metrics" />}
          {m.params.length > 0 && <Table caption="Parameters" rows={m.params} testid="model-params" />}
        </section>
      ))}
    </>
  );
}
