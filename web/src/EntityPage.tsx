// The entity pages: one URL per dataset, job, model and endpoint (see route.ts), with
// what the side panel has no room for: schema diffs between versions, run history with
// SQL changes, model versions side by side, what an endpoint served when.
import { useEffect, useMemo, useState } from "react";
import type { ReactNode } from "react";
import { gql } from "./api";
import { DatasetPageDocument, DownstreamDocument, JobPageDocument } from "./generated/graphql";
import type { DatasetPageQuery, JobPageQuery } from "./generated/graphql";
import { Search } from "./Search";
import type { Hit } from "./Search";
import { duration, time } from "./Panel";
import { datasetPageKind, formatRoute } from "./route";
import type { EntityKind, EntityRoute } from "./route";
import { diffSummary, display, isEmptyDiff, metricDelta, schemaDiff, servingAt, servingHistory, sqlChanges, unionKeys } from "./entity";
import type { SchemaColumn } from "./entity";
import { JsonView } from "./JsonView";
import "./entity.css";

type DatasetData = NonNullable<DatasetPageQuery["dataset"]>;
type Version = DatasetData["versions"]["nodes"][number];
type JobData = NonNullable<JobPageQuery["job"]>;
type IncidentRow = DatasetData["incidents"][number];

const VERSIONS = 20;
const RUNS = 50;

/** Where a hit of the search box goes from an entity page: its page (a column: its dataset's). */
function hitHref(hit: Hit): string | null {
  if (hit.__typename === "Dataset") return formatRoute({ kind: datasetPageKind(hit.dtype), namespace: hit.namespace, name: hit.name });
  if (hit.__typename === "Job") return formatRoute({ kind: "job", namespace: hit.namespace, name: hit.name });
  if (hit.__typename === "Field" && hit.dataset) return formatRoute({ kind: "dataset", namespace: hit.dataset.namespace, name: hit.dataset.name });
  return null;
}

export function EntityPage({ route }: { route: EntityRoute }) {
  useEffect(() => {
    document.title = `${route.name} · ${route.kind} · Lineage explorer`;
    window.scrollTo(0, 0);
  }, [route.kind, route.namespace, route.name]);
  return (
    <div className="entity-page">
      <div className="toolbar">
        <h1>
          <a href="/">lineage</a>
        </h1>
        <Search
          onOpen={(hit) => {
            const href = hitHref(hit);
            if (href) window.location.hash = href;
          }}
        />
      </div>
      <main className="entity" key={`${route.kind}/${route.namespace}/${route.name}`}>
        {route.kind === "job" ? <JobPage route={route} /> : <DatasetLikePage route={route} />}
      </main>
    </div>
  );
}

function useLoad<T>(load: () => Promise<T>, key: string): { data: T | null; error: string | null } {
  const [state, setState] = useState<{ data: T | null; error: string | null }>({ data: null, error: null });
  useEffect(() => {
    let live = true;
    setState({ data: null, error: null });
    load()
      .then((data) => live && setState({ data, error: null }))
      .catch((e: Error) => live && setState({ data: null, error: e.message }));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  return state;
}

function href(kind: EntityKind, x: { namespace: string; name: string }): string {
  return formatRoute({ kind, namespace: x.namespace, name: x.name });
}

function DatasetLink({ d, version }: { d: { namespace: string; name: string; dtype?: string | null }; version?: string }) {
  return (
    <a href={href(datasetPageKind(d.dtype), d)} title={`${d.namespace} ${d.name}`}>
      {d.name}
      {version && <span className="muted">@{short(version)}</span>}
    </a>
  );
}

function JobLink({ j }: { j: { namespace: string; name: string } }) {
  return (
    <a href={href("job", j)} title={`${j.namespace} ${j.name}`}>
      {j.name}
    </a>
  );
}

function short(version: string): string {
  return version.length > 14 ? `${version.slice(0, 8)}…` : version;
}

function State({ state }: { state: string | null | undefined }) {
  return state ? <span className={`state state-${state}`}>{state}</span> : null;
}

function Header({ kind, name, namespace, id, health, children }: { kind: string; name: string; namespace: string; id: string; health: string; children?: ReactNode }) {
  return (
    <header className="entity-header">
      <div className="entity-kind">{kind}</div>
      <h2 data-testid="entity-title">{name}</h2>
      <div className="entity-ns">{namespace}</div>
      <div className="entity-badges">
        <span className={`health health-${health}`} data-testid="health">
          {health}
        </span>
        <a className="button" href={`/?node=${encodeURIComponent(id)}&sel=${encodeURIComponent(id)}`}>
          Show in the graph
        </a>
      </div>
      {children}
    </header>
  );
}

function Card({ title, children, testid, note }: { title: string; children: ReactNode; testid?: string; note?: ReactNode }) {
  return (
    <section className="card" data-testid={testid}>
      <h3>
        {title} {note && <span className="muted">{note}</span>}
      </h3>
      {children}
    </section>
  );
}

function Owners({ owners }: { owners: { name: string; type: string | null }[] }) {
  if (!owners.length) return <div className="muted">No owner reported (ownership facet).</div>;
  return (
    <ul className="plain">
      {owners.map((o) => (
        <li key={`${o.name}-${o.type}`}>
          {o.name} {o.type && <span className="muted">({o.type})</span>}
        </li>
      ))}
    </ul>
  );
}

function Incidents({ incidents }: { incidents: IncidentRow[] }) {
  if (!incidents.length) return <div className="muted">No incidents.</div>;
  return (
    <table data-testid="incidents">
      <thead>
        <tr>
          <th>id</th>
          <th>status</th>
          <th>severity</th>
          <th>kind</th>
          <th>title</th>
          <th>opened</th>
          <th>resolved</th>
        </tr>
      </thead>
      <tbody>
        {incidents.map((i) => (
          <tr key={i.id}>
            <td className="mono nowrap">{i.shortId}</td>
            <td>
              <span className={`status status-${i.status}`}>{i.status}</span>
            </td>
            <td>
              <span className={`sev sev-${i.severity}`}>{i.severity}</span>
            </td>
            <td>{i.incidentKind}</td>
            <td className="wrap">{i.title}</td>
            <td className="nowrap">{time(i.openedAt)}</td>
            <td className="nowrap" title={i.resolution ?? undefined}>
              {i.resolvedAt ? time(i.resolvedAt) : "-"}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

// -- datasets, models, endpoints ---------------------------------------------------------

function DatasetLikePage({ route }: { route: EntityRoute }) {
  const key = `${route.namespace}\u0000${route.name}`;
  const { data, error } = useLoad(
    () => gql(DatasetPageDocument, { namespace: route.namespace, name: route.name, versions: VERSIONS }).then((d) => d.dataset),
    key,
  );
  if (error) return <div className="error">{error}</div>;
  if (!data) return <div className="muted">Loading…</div>;
  const own = datasetPageKind(data.dtype);
  const elsewhere =
    own !== route.kind ? (
      <div className="note">
        This is a{own === "endpoint" ? "n" : ""} {own}: <a href={href(own, data)}>open its {own} page</a>.
      </div>
    ) : null;
  if (route.kind === "model") return <ModelPage d={data} note={elsewhere} />;
  if (route.kind === "endpoint") return <EndpointPage d={data} note={elsewhere} />;
  return <DatasetPage d={data} note={elsewhere} />;
}

function DatasetPage({ d, note }: { d: DatasetData; note: ReactNode }) {
  const versions = d.versions.nodes;
  return (
    <>
      <Header kind={(d.dtype ?? "dataset").toLowerCase()} name={d.name} namespace={d.namespace} id={d.id} health={d.health}>
        {d.description && <p>{d.description}</p>}
        <Facts
          rows={[
            ["versions", String(d.versions.totalCount)],
            ["current", d.currentVersion ? short(d.currentVersion.version) : "-"],
            ["written by", d.producedBy.length ? d.producedBy.map((j) => <JobLink key={j.id} j={j} />) : "-"],
            ["tags", d.tags.length ? d.tags.map((t) => `${t.key}${t.value ? `=${t.value}` : ""}`).join(", ") : "-"],
            ...(d.dropped ? ([["dropped", "yes"]] as [string, ReactNode][]) : []),
            ...(d.lastMaterialized ? ([["last materialized", time(d.lastMaterialized)]] as [string, ReactNode][]) : []),
          ]}
        />
      </Header>
      {note}
      <div className="grid">
        <Card title="Schema" testid="schema" note={`${d.fields.length} columns`}>
          <SchemaTable fields={d.fields} />
        </Card>
        <Card title="Owners" testid="owners">
          <Owners owners={d.owners} />
        </Card>
      </div>
      <SchemaChanges versions={versions} />
      <VersionHistory versions={versions} total={d.versions.totalCount} />
      <Quality d={d} />
      <Downstream d={d} />
    </>
  );
}

function Facts({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <dl className="entity-facts">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{Array.isArray(v) ? v.map((x, i) => <span key={i}>{i > 0 && ", "}{x}</span>) : v}</dd>
        </div>
      ))}
    </dl>
  );
}

function SchemaTable({ fields }: { fields: DatasetData["fields"] }) {
  if (!fields.length) return <div className="muted">No schema reported.</div>;
  return (
    <table>
      <thead>
        <tr>
          <th>column</th>
          <th>type</th>
          <th>description</th>
        </tr>
      </thead>
      <tbody>
        {fields.map((f) => (
          <tr key={f.id}>
            <td className="mono">{f.path}</td>
            <td className="mono">{f.type ?? "-"}</td>
            <td>{f.description ?? ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function versionLabel(v: Version): string {
  const when = time(v.createdAt);
  return when.startsWith(v.version) ? when : `${short(v.version)} · ${when}`;
}

function SchemaChanges({ versions }: { versions: Version[] }) {
  const withSchema = versions.filter((v) => v.schema.length > 0);
  const [to, setTo] = useState(withSchema[0]?.id ?? "");
  const [from, setFrom] = useState(withSchema[1]?.id ?? "");
  if (withSchema.length < 2) {
    return (
      <Card title="Schema changes" testid="schema-diff">
        <div className="muted">{withSchema.length ? "Only one version reported a schema: nothing to compare." : "No version reported a schema."}</div>
      </Card>
    );
  }
  const before = withSchema.find((v) => v.id === from);
  const after = withSchema.find((v) => v.id === to);
  const diff = before && after ? schemaDiff(before.schema as SchemaColumn[], after.schema as SchemaColumn[]) : null;
  const pick = (value: string, set: (id: string) => void, label: string) => (
    <label>
      {label}{" "}
      <select value={value} onChange={(e) => set(e.target.value)} aria-label={`Compare ${label}`}>
        {withSchema.map((v) => (
          <option key={v.id} value={v.id}>
            {versionLabel(v)}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <Card title="Schema changes" testid="schema-diff" note={diff ? diffSummary(diff) : ""}>
      <div className="compare">
        {pick(from, setFrom, "from")}
        {pick(to, setTo, "to")}
      </div>
      {diff && isEmptyDiff(diff) && <div className="muted">The two versions have the same schema.</div>}
      {diff && !isEmptyDiff(diff) && (
        <table className="diff">
          <thead>
            <tr>
              <th>change</th>
              <th>column</th>
              <th>before</th>
              <th>after</th>
            </tr>
          </thead>
          <tbody>
            {diff.removed.map((c) => (
              <tr key={`r-${c.path}`} className="removed">
                <td>removed</td>
                <td className="mono">{c.path}</td>
                <td className="mono">{c.type ?? "-"}</td>
                <td />
              </tr>
            ))}
            {diff.retyped.map((c) => (
              <tr key={`t-${c.path}`} className="retyped">
                <td>type changed</td>
                <td className="mono">{c.path}</td>
                <td className="mono">{c.before ?? "-"}</td>
                <td className="mono">{c.after ?? "-"}</td>
              </tr>
            ))}
            {diff.added.map((c) => (
              <tr key={`a-${c.path}`} className="added">
                <td>added</td>
                <td className="mono">{c.path}</td>
                <td />
                <td className="mono">{c.type ?? "-"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

function VersionHistory({ versions, total }: { versions: Version[]; total: number }) {
  return (
    <Card title="Version history" testid="versions" note={total > versions.length ? `latest ${versions.length} of ${total}` : `${total}`}>
      {!versions.length ? (
        <div className="muted">No versions.</div>
      ) : (
        <table>
          <thead>
            <tr>
              <th>version</th>
              <th>created</th>
              <th>written by</th>
              <th>run</th>
              <th>rows</th>
              <th>lifecycle</th>
              <th>schema vs previous</th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v, i) => {
              const previous = versions.slice(i + 1).find((p) => p.schema.length > 0);
              const summary = !v.schema.length ? "-" : previous ? diffSummary(schemaDiff(previous.schema as SchemaColumn[], v.schema as SchemaColumn[])) : "first";
              return (
                <tr key={v.id}>
                  <td className="mono" title={v.version}>
                    {short(v.version)}
                  </td>
                  <td className="nowrap">{time(v.createdAt)}</td>
                  <td>{v.writtenBy?.job ? <JobLink j={v.writtenBy.job} /> : <span className="muted">{v.observed ? "only seen by readers" : "-"}</span>}</td>
                  <td>
                    <State state={v.writtenBy?.state} />
                  </td>
                  <td>{v.statistics?.rowCount ?? "-"}</td>
                  <td>{v.lifecycleState ?? "-"}</td>
                  <td className={summary !== "no change" && summary !== "first" && summary !== "-" ? "changed" : "muted"}>{summary}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Card>
  );
}

function Quality({ d }: { d: DatasetData }) {
  const metrics = d.versions.nodes.filter((v) => v.statistics?.metrics);
  return (
    <Card title="Quality" testid="quality" note={<span className={`quality quality-${d.quality.status}`}>{d.quality.status}</span>}>
      <h4>Latest assertions</h4>
      {d.quality.assertions.length ? (
        <table className="compact">
          <tbody>
            {d.quality.assertions.map((q) => (
              <tr key={`${q.assertion}-${q.column}`}>
                <td className={q.success ? "pass" : "fail"}>{q.success ? "✔ passed" : "✘ failed"}</td>
                <td className="mono">{q.assertion}</td>
                <td className="muted">{q.column ? `on ${q.column}` : ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <div className="muted">No assertions reported.</div>
      )}
      {metrics.length > 0 && (
        <>
          <h4>Metrics by version</h4>
          <table>
            <tbody>
              {metrics.map((v) => (
                <tr key={v.id}>
                  <td className="nowrap">{versionLabel(v)}</td>
                  <td>
                    <JsonView value={v.statistics!.metrics} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <h4>Incident history</h4>
      <Incidents incidents={d.incidents} />
    </Card>
  );
}

function Downstream({ d }: { d: DatasetData }) {
  const { data, error } = useLoad(() => gql(DownstreamDocument, { start: { id: d.id } }), d.id);
  const reached = useMemo(() => {
    if (!data) return [];
    // Distance in datasets from this one, by breadth-first walk over the answer's edges.
    const next = new Map<string, string[]>();
    for (const e of data.lineage.edges) next.set(e.source.id, [...(next.get(e.source.id) ?? []), e.target.id]);
    const distance = new Map<string, number>([[d.id, 0]]);
    const queue = [d.id];
    while (queue.length) {
      const at = queue.shift()!;
      for (const to of next.get(at) ?? []) {
        if (!distance.has(to)) {
          distance.set(to, distance.get(at)! + 1);
          queue.push(to);
        }
      }
    }
    return data.lineage.nodes
      .filter((n): n is Extract<typeof n, { __typename: "Dataset" }> => n.__typename === "Dataset" && n.id !== d.id)
      .map((n) => ({ ...n, hops: Math.ceil((distance.get(n.id) ?? 0) / 2) }))
      .sort((a, b) => a.hops - b.hops || a.name.localeCompare(b.name));
  }, [data, d.id]);
  return (
    <Card title="Downstream consumers" testid="downstream">
      <h4>Jobs that read it</h4>
      {d.consumedBy.length ? (
        <table>
          <thead>
            <tr>
              <th>job</th>
              <th>type</th>
              <th>latest run</th>
              <th>writes</th>
            </tr>
          </thead>
          <tbody>
            {d.consumedBy.map((j) => (
              <tr key={j.id}>
                <td>
                  <JobLink j={j} />
                </td>
                <td>{j.jtype.toLowerCase()}</td>
                <td>
                  <State state={j.latestRun?.state} />
                </td>
                <td>
                  {j.outputs.map((o, i) => (
                    <span key={o.id}>
                      {i > 0 && ", "}
                      <DatasetLink d={o} />
                    </span>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <div className="muted">No job reads it.</div>
      )}
      <h4>Everything downstream {data?.lineage.truncated && <span className="muted">(more than shown)</span>}</h4>
      {error && <div className="error">{error}</div>}
      {data && !reached.length && <div className="muted">Nothing downstream.</div>}
      {reached.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>dataset</th>
              <th>type</th>
              <th>jobs away</th>
            </tr>
          </thead>
          <tbody>
            {reached.map((n) => (
              <tr key={n.id}>
                <td>
                  <DatasetLink d={n} />
                </td>
                <td>{(n.dtype ?? "dataset").toLowerCase()}</td>
                <td>{n.hops}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

// -- models --------------------------------------------------------------------------------

interface ModelFacet {
  framework?: string;
  metrics?: Record<string, unknown>;
  hyperparameters?: Record<string, unknown>;
  registryUri?: string;
}

function modelFacet(v: Version): ModelFacet {
  return ((v.facets as Record<string, unknown> | null)?.lineage_model as ModelFacet | undefined) ?? {};
}

function deploymentsOf(v: Version) {
  const out: { endpoint: { namespace: string; name: string; dtype: string | null }; at: string | null; state: string; job: { namespace: string; name: string } | null }[] = [];
  for (const run of v.readBy.nodes) {
    for (const o of run.outputs) {
      if (o.dataset?.dtype === "ENDPOINT") out.push({ endpoint: o.dataset, at: o.createdAt ?? run.startedAt, state: run.state, job: run.job });
    }
  }
  return out;
}

function ModelPage({ d, note }: { d: DatasetData; note: ReactNode }) {
  // Side by side, oldest on the left, so each column's deltas read against the one before.
  const versions = [...d.versions.nodes].reverse();
  const facets = versions.map(modelFacet);
  const metricKeys = unionKeys(facets.map((f) => f.metrics));
  const paramKeys = unionKeys(facets.map((f) => f.hyperparameters));
  const latest = facets[facets.length - 1] ?? {};
  const row = (label: string, cell: (v: Version, i: number) => ReactNode, className?: string) => (
    <tr key={label} className={className}>
      <th scope="row">{label}</th>
      {versions.map((v, i) => (
        <td key={v.id}>{cell(v, i)}</td>
      ))}
    </tr>
  );
  return (
    <>
      <Header kind="model" name={d.name} namespace={d.namespace} id={d.id} health={d.health}>
        {d.description && <p>{d.description}</p>}
        <Facts
          rows={[
            ["versions", String(d.versions.totalCount)],
            ["framework", latest.framework ?? "-"],
            ["registry", latest.registryUri ?? "-"],
            ["trained by", d.producedBy.length ? d.producedBy.map((j) => <JobLink key={j.id} j={j} />) : "-"],
          ]}
        />
      </Header>
      {note}
      <Card title="Versions side by side" testid="model-versions" note={d.versions.totalCount > versions.length ? `latest ${versions.length} of ${d.versions.totalCount}` : undefined}>
        {!versions.length ? (
          <div className="muted">No versions.</div>
        ) : (
          <div className="scroll">
            <table className="compare-table">
              <thead>
                <tr>
                  <th />
                  {versions.map((v) => (
                    <th key={v.id} scope="col" className="version-head">
                      version {short(v.version)}
                      {v.version === d.currentVersion?.version && <> <span className="current">latest</span></>}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {row("created", (v) => time(v.createdAt))}
                {row("trained by", (v) =>
                  v.writtenBy?.job ? (
                    <>
                      <JobLink j={v.writtenBy.job} /> <State state={v.writtenBy.state} />
                    </>
                  ) : (
                    "-"
                  ),
                )}
                {row("trained on", (v) =>
                  v.writtenBy?.inputs.length ? (
                    <ul className="plain">
                      {v.writtenBy.inputs.map((x) => (
                        <li key={x.id}>{x.dataset ? <DatasetLink d={x.dataset} version={x.version} /> : x.version}</li>
                      ))}
                    </ul>
                  ) : (
                    <span className="muted">not reported</span>
                  ),
                )}
                {row("deployed to", (v) => {
                  const list = deploymentsOf(v);
                  return list.length ? (
                    <ul className="plain">
                      {list.map((x, k) => (
                        <li key={k}>
                          <DatasetLink d={x.endpoint} /> <span className="muted">{time(x.at)}</span> <State state={x.state} />
                        </li>
                      ))}
                    </ul>
                  ) : (
                    <span className="muted">never deployed</span>
                  );
                })}
                <tr className="group">
                  <th colSpan={versions.length + 1}>Metrics</th>
                </tr>
                {!metricKeys.length && row("-", () => <span className="muted">none reported</span>)}
                {metricKeys.map((k) =>
                  row(
                    k,
                    (_, i) => {
                      const value = facets[i].metrics?.[k];
                      const delta = i > 0 ? metricDelta(value, facets[i - 1].metrics?.[k]) : "";
                      return (
                        <>
                          <span className="mono">{display(value)}</span> {delta && <span className={`delta ${delta.startsWith("+") ? "up" : "down"}`}>{delta}</span>}
                        </>
                      );
                    },
                    "metric",
                  ),
                )}
                <tr className="group">
                  <th colSpan={versions.length + 1}>Parameters</th>
                </tr>
                {!paramKeys.length && row("-", () => <span className="muted">none reported</span>)}
                {paramKeys.map((k) =>
                  row(k, (_, i) => {
                    const value = display(facets[i].hyperparameters?.[k]);
                    const changed = i > 0 && value !== display(facets[i - 1].hyperparameters?.[k]);
                    return <span className={`mono ${changed ? "changed" : ""}`}>{value}</span>;
                  }),
                )}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <Card title="Incidents" testid="incidents-card">
        <Incidents incidents={d.incidents} />
      </Card>
      <Downstream d={d} />
    </>
  );
}

// -- endpoints -----------------------------------------------------------------------------

function EndpointPage({ d, note }: { d: DatasetData; note: ReactNode }) {
  const history = servingHistory(
    d.versions.nodes.map((v) => ({
      createdAt: v.createdAt,
      facets: v.facets,
      writtenBy: v.writtenBy
        ? { runId: v.writtenBy.runId, state: v.writtenBy.state, startedAt: v.writtenBy.startedAt, inputs: v.writtenBy.inputs.map((x) => ({ version: x.version, dataset: x.dataset ? { namespace: x.dataset.namespace, name: x.dataset.name, type: x.dataset.dtype } : null })) }
        : null,
    })),
  );
  const deployment = (d.facets as Record<string, unknown> | null)?.lineage_deployment as { environment?: string; url?: string } | undefined;
  const now = history[history.length - 1];
  const incidentsIn = (from: string, until: string | null) =>
    d.incidents.filter((i) => i.openedAt && Date.parse(i.openedAt) >= Date.parse(from) && (until === null || Date.parse(i.openedAt) < Date.parse(until)));
  return (
    <>
      <Header kind="endpoint" name={d.name} namespace={d.namespace} id={d.id} health={d.health}>
        {d.description && <p>{d.description}</p>}
        <Facts
          rows={[
            ["serving now", now?.model ? <DatasetLink d={{ ...now.model, dtype: "MODEL" }} version={now.modelVersion ?? undefined} /> : "-"],
            ["environment", deployment?.environment ?? "-"],
            ["url", deployment?.url ?? "-"],
            ["deployed by", d.producedBy.length ? d.producedBy.map((j) => <JobLink key={j.id} j={j} />) : "-"],
          ]}
        />
      </Header>
      {note}
      <Card title="Which model served when" testid="serving">
        {!history.length ? (
          <div className="muted">No deployment reported.</div>
        ) : (
          <>
            <Timeline history={history} incidents={d.incidents} />
            <table>
              <thead>
                <tr>
                  <th>model version</th>
                  <th>served from</th>
                  <th>until</th>
                  <th>for</th>
                  <th>deployment run</th>
                  <th>incidents opened meanwhile</th>
                </tr>
              </thead>
              <tbody>
                {[...history].reverse().map((h) => {
                  const seen = incidentsIn(h.from, h.until);
                  return (
                    <tr key={h.from}>
                      <td>{h.model ? <DatasetLink d={{ ...h.model, dtype: "MODEL" }} version={h.modelVersion ?? undefined} /> : h.modelVersion ?? "-"}</td>
                      <td className="nowrap">{time(h.from)}</td>
                      <td className="nowrap">{h.until ? time(h.until) : <strong>still serving</strong>}</td>
                      <td className="nowrap">{h.until ? duration((Date.parse(h.until) - Date.parse(h.from)) / 1000) : "-"}</td>
                      <td>
                        <State state={h.state} /> <span className="mono muted">{h.runId ? h.runId.slice(0, 8) : ""}</span>
                      </td>
                      <td className="wrap">{seen.length ? seen.map((i) => `${i.shortId} ${i.title}`).join("; ") : <span className="muted">none</span>}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            <ServedAt history={history} />
          </>
        )}
      </Card>
      <Card title="Incidents" testid="incidents-card">
        <Incidents incidents={d.incidents} />
      </Card>
    </>
  );
}

const PALETTE = ["#2563eb", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2"];

function Timeline({ history, incidents }: { history: ReturnType<typeof servingHistory>; incidents: IncidentRow[] }) {
  const start = Date.parse(history[0].from);
  const marks = incidents.filter((i) => i.openedAt).map((i) => Date.parse(i.openedAt!));
  const last = Math.max(Date.parse(history[history.length - 1].from), ...marks);
  const end = last + Math.max((last - start) * 0.15, 3600_000);
  const pct = (t: number) => `${(((t - start) / (end - start)) * 100).toFixed(2)}%`;
  const versions = [...new Set(history.map((h) => h.modelVersion ?? "?"))];
  return (
    <div className="timeline" aria-label="Model versions served over time">
      <div className="lane">
        {history.map((h) => {
          const from = Date.parse(h.from);
          const until = h.until ? Date.parse(h.until) : end;
          return (
            <div
              key={h.from}
              className="span"
              style={{ left: pct(from), width: `calc(${pct(until)} - ${pct(from)})`, background: PALETTE[versions.indexOf(h.modelVersion ?? "?") % PALETTE.length] }}
              title={`version ${h.modelVersion} from ${time(h.from)}${h.until ? ` until ${time(h.until)}` : ""}`}
            >
              {h.model?.name ?? "model"} v{h.modelVersion ?? "?"}
            </div>
          );
        })}
        {incidents
          .filter((i) => i.openedAt)
          .map((i) => (
            <div key={i.id} className={`mark sev-${i.severity}`} style={{ left: pct(Date.parse(i.openedAt!)) }} title={`${i.shortId} ${i.title} (${time(i.openedAt)})`}>
              ▲
            </div>
          ))}
      </div>
      <div className="axis">
        <span>{time(history[0].from)}</span>
        <span>latest event {time(new Date(last).toISOString())}</span>
      </div>
    </div>
  );
}

/** "What was serving at ...": a time picker answered from the history. */
function ServedAt({ history }: { history: ReturnType<typeof servingHistory> }) {
  const [at, setAt] = useState(() => history[history.length - 1].from.slice(0, 16));
  const iso = Number.isNaN(Date.parse(`${at}Z`)) ? null : new Date(`${at}Z`).toISOString();
  const found = iso ? servingAt(history, iso) : null;
  return (
    <div className="served-at">
      <label>
        Serving at (UTC){" "}
        <input type="datetime-local" value={at} onChange={(e) => setAt(e.target.value)} aria-label="Serving at" />
      </label>{" "}
      <span data-testid="served-at">{found ? `${found.model?.name ?? "model"} version ${found.modelVersion ?? "?"}` : "nothing deployed then"}</span>
    </div>
  );
}

// -- jobs ----------------------------------------------------------------------------------

function JobPage({ route }: { route: EntityRoute }) {
  const key = `${route.namespace}\u0000${route.name}`;
  const { data: j, error } = useLoad(
    () => gql(JobPageDocument, { namespace: route.namespace, name: route.name, runs: RUNS }).then((d) => d.job),
    key,
  );
  if (error) return <div className="error">{error}</div>;
  if (!j) return <div className="muted">Loading…</div>;
  const source = j.sourceLocation;
  return (
    <>
      <Header kind={`${j.jtype.toLowerCase()} job`} name={j.name} namespace={j.namespace} id={j.id} health={j.health}>
        {j.description && <p>{j.description}</p>}
        <Facts
          rows={[
            ["type", `${j.jtype}${j.jobType ? ` (${j.jobType})` : ""}`],
            ["integration", j.integration ?? "-"],
            ["runs under", j.parent ? <JobLink j={j.parent} /> : "-"],
            ["reads", j.inputs.length ? j.inputs.map((x) => <DatasetLink key={x.id} d={x} />) : "-"],
            ["writes", j.outputs.length ? j.outputs.map((x) => <DatasetLink key={x.id} d={x} />) : "-"],
            [
              "source",
              source?.url ? (
                <a href={source.url} target="_blank" rel="noreferrer">
                  {source.path ?? source.url}
                  {source.version ? ` @ ${source.version.slice(0, 10)}` : ""}
                </a>
              ) : (
                "-"
              ),
            ],
          ]}
        />
      </Header>
      <div className="grid">
        <Card title="Runs" testid="runs" note={j.runs.totalCount > j.runs.nodes.length ? `latest ${j.runs.nodes.length} of ${j.runs.totalCount}` : `${j.runs.totalCount}`}>
          <RunsTable runs={j.runs.nodes} />
        </Card>
        <Card title="Owners" testid="owners">
          <Owners owners={j.owners} />
        </Card>
      </div>
      <SqlCard j={j} />
      <Card title="Incidents" testid="incidents-card">
        <Incidents incidents={j.incidents} />
      </Card>
    </>
  );
}

function RunsTable({ runs }: { runs: JobData["runs"]["nodes"] }) {
  if (!runs.length) return <div className="muted">No runs.</div>;
  const longest = Math.max(...runs.map((r) => r.duration ?? 0), 1);
  return (
    <table>
      <thead>
        <tr>
          <th>state</th>
          <th>started</th>
          <th>ended</th>
          <th>duration</th>
          <th>run</th>
          <th>error</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr key={r.runId}>
            <td>
              <State state={r.state} />
            </td>
            <td className="nowrap">{time(r.startedAt)}</td>
            <td className="nowrap">{time(r.endedAt)}</td>
            <td className="nowrap duration-cell">
              <span className="bar" style={{ width: `${((r.duration ?? 0) / longest) * 60}px` }} />
              {duration(r.duration)}
            </td>
            <td className="mono muted" title={r.runId}>
              {r.runId.slice(0, 8)}
            </td>
            <td className="wrap error-text">{r.errorMessage ?? ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function SqlCard({ j }: { j: JobData }) {
  const runs = j.runs.nodes;
  const reported = runs.filter((r) => r.sql !== null);
  const changes = sqlChanges(runs);
  if (!j.sql && !reported.length) {
    return (
      <Card title="SQL" testid="sql">
        <div className="muted">This job reported no SQL.</div>
      </Card>
    );
  }
  let summary: string;
  if (!reported.length) summary = "Its runs' events did not carry the SQL: this is the job's latest.";
  else if (!changes.length) summary = `The same in all ${reported.length} run${reported.length === 1 ? "" : "s"} that reported it.`;
  else summary = `Changed ${changes.length} time${changes.length === 1 ? "" : "s"} in the latest ${runs.length} runs.`;
  return (
    <Card title="SQL" testid="sql" note={summary}>
      <pre className="sql">{j.sql ?? reported[0].sql}</pre>
      {changes.length > 0 && (
        <>
          <h4>Changes between runs</h4>
          {changes.map((c) => (
            <div key={c.run.runId} className="sql-change" data-testid="sql-change">
              <div className="muted">
                run {c.previous.runId.slice(0, 8)} ({time(c.previous.startedAt)}) → run {c.run.runId.slice(0, 8)} ({time(c.run.startedAt)})
              </div>
              <pre className="sql diff-lines">
                {c.lines.map((l, i) => (
                  <div key={i} className={l.op === "+" ? "ins" : l.op === "-" ? "del" : ""}>
                    {l.op} {l.text}
                  </div>
                ))}
              </pre>
            </div>
          ))}
        </>
      )}
    </Card>
  );
}
