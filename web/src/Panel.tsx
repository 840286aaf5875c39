// The side panel for the selected node: schema, owners, facets, runs, versions, SQL, incidents.
import { useEffect, useState } from "react";
import { gql } from "./api";
import { DetailDocument, FieldDetailDocument } from "./generated/graphql";
import type { DetailQuery, FieldDetailQuery } from "./generated/graphql";
import { JsonView } from "./JsonView";
import type { GNode } from "./model";
import type { Capabilities, Health, IncidentSummary } from "./incidents";
import { incidentsOn } from "./incidents";
import { entityHref } from "./route";
import { MlFactsSection } from "./MlFacts";

type Detail = DetailQuery["lineage"]["nodes"][number];
type FieldDetail = FieldDetailQuery["node"];

export interface PanelActions {
  expand(direction: "up" | "down"): void;
  collapse(direction: "up" | "down"): void;
  toggleColumns(): void;
  selectField(id: string): void;
  focus(): void;
  pathEnd(which: "from" | "to"): void;
  impact(): void;
}

export function time(value: string | null | undefined): string {
  if (!value) return "-";
  return new Date(value).toISOString().replace("T", " ").replace(/:\d\d\.\d+Z$/, " UTC").replace(/:\d\dZ$/, " UTC");
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "-";
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function Panel(props: {
  node: GNode;
  asOf: string | null;
  capabilities: Capabilities;
  hidden: { up: number; down: number };
  columnsShown: boolean;
  selectedField: string | null;
  actions: PanelActions;
}) {
  const { node, asOf } = props;
  const [detail, setDetail] = useState<Detail | null>(null);
  const [field, setField] = useState<FieldDetail>(null);
  const [incidents, setIncidents] = useState<IncidentSummary[] | null>(null);
  const [healthThen, setHealthThen] = useState<Health | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setError(null);
    setDetail(null);
    setField(null);
    const load =
      node.kind === "FIELD"
        ? gql(FieldDetailDocument, { id: node.id }).then((d) => live && setField(d.node))
        : gql(DetailDocument, { start: { id: node.id }, asOf }).then((d) => live && setDetail(d.lineage.nodes[0] ?? null));
    load.catch((e: Error) => live && setError(e.message));
    setHealthThen(null);
    if (props.capabilities.incidents) {
      // As of a time: the incidents open then and the health then, not today's.
      incidentsOn(node.id, asOf, node.kind === "FIELD")
        .then((found) => {
          if (!live) return;
          setIncidents(found.incidents);
          setHealthThen(found.health);
        })
        .catch(() => live && setIncidents(null));
    }
    return () => {
      live = false;
    };
  }, [node.id, asOf, props.capabilities.incidents]);

  const a = props.actions;
  // The server's rule: an OPEN incident makes a node FAILING, acknowledged ones WARNING.
  // Columns are drawn without a health of their own, so the panel derives it from the list.
  const health =
    healthThen ??
    (incidents && incidents.length
      ? incidents.some((i) => i.status !== "ACKNOWLEDGED")
        ? "FAILING"
        : "WARNING"
      : node.health);
  return (
    <aside className="panel" aria-label="Selected node" data-testid="panel">
      <header>
        <div className="panel-kind">{node.kind === "FIELD" ? "column" : (node.type ?? node.kind).toLowerCase()}</div>
        <h2>{node.name}</h2>
        <div className="panel-ns">{node.namespace}</div>
        <div className={`health health-${health}`} data-testid="health">
          {health}
        </div>
        {asOf && <span className="asof-note">as of {time(asOf)}</span>}
        {entityHref(node) && (
          <a className="page-link" href={entityHref(node)!} data-testid="entity-link">
            Open its page ▸
          </a>
        )}
      </header>
      {node.kind !== "FIELD" && (
        <div className="actions">
          <button onClick={() => a.expand("up")} disabled={!props.hidden.up} title="Show one more level upstream ([)">
            ◂ Expand upstream ({props.hidden.up})
          </button>
          <button onClick={() => a.expand("down")} disabled={!props.hidden.down} title="Show one more level downstream (])">
            Expand downstream ({props.hidden.down}) ▸
          </button>
          <button onClick={() => a.collapse("up")} title="Hide what is upstream ({)">
            Collapse upstream
          </button>
          <button onClick={() => a.collapse("down")} title="Hide what is downstream (})">
            Collapse downstream
          </button>
          {node.kind === "DATASET" && (
            <button onClick={a.toggleColumns} title="Draw the dataset's columns (c)">
              {props.columnsShown ? "Hide columns" : "Show columns"}
            </button>
          )}
          <button onClick={a.focus}>Centre the graph here</button>
          <button onClick={() => a.pathEnd("from")}>Path from here</button>
          <button onClick={() => a.pathEnd("to")}>Path to here</button>
          {node.kind === "DATASET" && <button onClick={a.impact}>Impact of a change…</button>}
        </div>
      )}
      {error && <div className="error">{error}</div>}
      {incidents && incidents.length > 0 && (
        <section>
          <h3>Open incidents {asOf && <span className="muted">as of {time(asOf)}</span>}</h3>
          <ul className="incidents">
            {incidents.map((i) => (
              <li key={i.id}>
                <span className={`sev sev-${i.severity}`}>{i.severity}</span> {i.title} <span className="muted">({i.incidentKind}, {time(i.openedAt)})</span>
              </li>
            ))}
          </ul>
        </section>
      )}
      {field && field.__typename === "Field" && <FieldSection field={field} onSelect={a.selectField} />}
      {detail?.__typename === "Dataset" && <DatasetSection d={detail} asOf={asOf} selectedField={props.selectedField} onSelectField={a.selectField} />}
      {detail?.__typename === "Job" && <JobSection j={detail} />}
      {!detail && !field && !error && <div className="muted">Loading…</div>}
    </aside>
  );
}

function Owners({ owners }: { owners: { name: string; type: string | null }[] }) {
  if (!owners.length) return <div className="muted">No owners reported.</div>;
  return (
    <ul className="owners">
      {owners.map((o) => (
        <li key={o.name}>
          {o.name} {o.type && <span className="muted">({o.type})</span>}
        </li>
      ))}
    </ul>
  );
}

function DatasetSection({ d, asOf, selectedField, onSelectField }: { d: Extract<Detail, { __typename: "Dataset" }>; asOf: string | null; selectedField: string | null; onSelectField: (id: string) => void }) {
  return (
    <>
      {d.description && <p>{d.description}</p>}
      <section>
        <h3>Schema {asOf && <span className="muted">as of {time(asOf)}</span>}</h3>
        {d.fields.length === 0 ? (
          <div className="muted">No schema reported.</div>
        ) : (
          <table className="schema">
            <thead>
              <tr>
                <th>column</th>
                <th>type</th>
                <th>description</th>
              </tr>
            </thead>
            <tbody>
              {d.fields.map((f) => (
                <tr key={f.id} className={f.id === selectedField ? "selected" : ""}>
                  <td>
                    <button className="link" onClick={() => onSelectField(f.id)} title="Highlight this column's lineage">
                      {f.path}
                    </button>
                  </td>
                  <td>{f.type ?? "-"}</td>
                  <td>{f.description ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <MlFactsSection facets={d.facets} />
      <section>
        <h3>Quality</h3>
        <div className={`quality quality-${d.quality.status}`}>{d.quality.status}</div>
        <ul className="assertions">
          {d.quality.assertions.map((q) => (
            <li key={`${q.assertion}-${q.column}`}>
              {q.success ? "✔" : "✘"} {q.assertion}
              {q.column && <span className="muted"> on {q.column}</span>}
            </li>
          ))}
        </ul>
      </section>
      <section>
        <h3>Owners</h3>
        <Owners owners={d.owners} />
      </section>
      <section>
        <h3>Versions {d.currentVersion && <span className="muted">current: {d.currentVersion.version.slice(0, 12)}</span>}</h3>
        <table className="runs">
          <tbody>
            {d.versions.nodes.map((v) => (
              <tr key={v.version} className={v.version === d.currentVersion?.version ? "selected" : ""}>
                <td title={v.version}>{v.version.slice(0, 12)}</td>
                <td>{time(v.createdAt)}</td>
                <td>{v.writtenBy ? <span className={`state state-${v.writtenBy.state}`}>{v.writtenBy.state}</span> : <span className="muted">observed</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <h3>Recent runs that wrote it</h3>
        <Runs runs={d.writtenBy.nodes.map((r) => ({ ...r, label: r.job?.name ?? "" }))} />
      </section>
      <section>
        <h3>Facets</h3>
        <JsonView value={d.facets} />
      </section>
    </>
  );
}

function Runs({ runs }: { runs: { runId: string; state: string; startedAt: string | null; duration: number | null; label?: string; errorMessage?: string | null }[] }) {
  if (!runs.length) return <div className="muted">No runs.</div>;
  return (
    <table className="runs">
      <thead>
        <tr>
          <th>state</th>
          <th>started</th>
          <th>duration</th>
          {runs.some((r) => r.label) && <th>job</th>}
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr key={r.runId} title={r.errorMessage ?? r.runId}>
            <td>
              <span className={`state state-${r.state}`}>{r.state}</span>
            </td>
            <td>{time(r.startedAt)}</td>
            <td>{duration(r.duration)}</td>
            {r.label !== undefined && <td>{r.label}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function JobSection({ j }: { j: Extract<Detail, { __typename: "Job" }> }) {
  const source = j.sourceLocation;
  return (
    <>
      {j.description && <p>{j.description}</p>}
      <dl className="facts">
        <dt>type</dt>
        <dd>{j.jtype}{j.jobType ? ` (${j.jobType})` : ""}</dd>
        {j.integration && (
          <>
            <dt>integration</dt>
            <dd>{j.integration}</dd>
          </>
        )}
        {j.parent && (
          <>
            <dt>runs under</dt>
            <dd>{j.parent.name}</dd>
          </>
        )}
      </dl>
      <section>
        <h3>Recent runs</h3>
        <Runs runs={j.runs.nodes} />
      </section>
      {j.children.length > 0 && <JobChildren children={j.children} />}
      {(j.sql || source) && (
        <section>
          <h3>Source</h3>
          {source?.url && (
            <a href={source.url} target="_blank" rel="noreferrer">
              {source.path ?? source.url}
              {source.version ? ` @ ${source.version.slice(0, 10)}` : ""}
            </a>
          )}
          {j.sql && <pre className="sql">{j.sql}</pre>}
        </section>
      )}
      <section>
        <h3>Owners</h3>
        <Owners owners={j.owners} />
      </section>
      <section>
        <h3>Facets</h3>
        <JsonView value={j.facets} />
      </section>
    </>
  );
}

const CHILDREN_SHOWN = 50;

// The jobs whose runs ran under this one's; statements and dbt tests (listed: false) are
// found only here, not in search.
function JobChildren({ children }: { children: Extract<Detail, { __typename: "Job" }>["children"] }) {
  const parts = children.filter((c) => !c.listed).length;
  return (
    <section data-testid="job-children">
      <h3>Jobs under it</h3>
      <div className="muted">
        {children.length - parts} listed on their own, {parts} part{parts === 1 ? "" : "s"} of this job (statements, tests)
      </div>
      <ul className="links">
        {children.slice(0, CHILDREN_SHOWN).map((c) => (
          <li key={c.id}>
            {c.name} <span className="muted">{c.jobType ?? ""}</span>{" "}
            {c.latestRun && <span className={`state state-${c.latestRun.state}`}>{c.latestRun.state}</span>}
          </li>
        ))}
      </ul>
      {children.length > CHILDREN_SHOWN && <div className="muted">and {children.length - CHILDREN_SHOWN} more</div>}
    </section>
  );
}

function FieldSection({ field, onSelect }: { field: Extract<NonNullable<FieldDetail>, { __typename: "Field" }>; onSelect: (id: string) => void }) {
  const link = (l: (typeof field.upstream)[number]) => (
    <li key={l.field.id}>
      <button className="link" onClick={() => onSelect(l.field.id)}>
        {l.field.dataset?.name}.{l.field.path}
      </button>{" "}
      <span className={`dep dep-${l.transformation?.type ?? "DIRECT"}`}>{l.transformation?.type ?? "?"}</span>
      {l.transformation?.subtype && <span className="muted"> {l.transformation.subtype}</span>}
    </li>
  );
  return (
    <>
      <dl className="facts">
        <dt>dataset</dt>
        <dd>{field.dataset?.name}</dd>
        <dt>type</dt>
        <dd>{field.type ?? "-"}</dd>
        {field.description && (
          <>
            <dt>description</dt>
            <dd>{field.description}</dd>
          </>
        )}
      </dl>
      <section>
        <h3>Derived from</h3>
        {field.upstream.length ? <ul className="links">{field.upstream.map(link)}</ul> : <div className="muted">No upstream columns.</div>}
      </section>
      <section>
        <h3>Feeds</h3>
        {field.downstream.length ? <ul className="links">{field.downstream.map(link)}</ul> : <div className="muted">No downstream columns.</div>}
      </section>
      <section>
        <h3>Owners</h3>
        <Owners owners={field.dataset?.owners ?? []} />
      </section>
    </>
  );
}
