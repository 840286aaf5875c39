// Impact mode: pick columns of a dataset and a change, see what it breaks and whom to tell.
import { useEffect, useState } from "react";
import { gql } from "./api";
import { FieldsDocument, ImpactDocument } from "./generated/graphql";
import type { ImpactQuery } from "./generated/graphql";
import type { GNode } from "./model";
import type { ChangeKind, ViewState } from "./url";
import { impactMarkdown, nodeName } from "./markdown";

export type ImpactReport = ImpactQuery["impact"];

const CHANGES: { kind: ChangeKind; label: string }[] = [
  { kind: "DROP_FIELD", label: "drop" },
  { kind: "RENAME_FIELD", label: "rename" },
  { kind: "CHANGE_TYPE", label: "change type" },
];

export function ImpactPanel(props: {
  dataset: GNode | undefined;
  state: ViewState;
  setState: (s: Partial<ViewState>) => void;
  report: ImpactReport | null;
  setReport: (r: ImpactReport | null) => void;
}) {
  const { dataset, state, setState, report, setReport } = props;
  const [fields, setFields] = useState<{ id: string; path: string; type: string | null }[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);

  useEffect(() => {
    setFields([]);
    if (!dataset) return;
    gql(FieldsDocument, { start: { id: dataset.id } })
      .then((d) => {
        const n = d.lineage.nodes[0];
        setFields(n?.__typename === "Dataset" ? n.fields : []);
      })
      .catch((e: Error) => setError(e.message));
  }, [dataset?.id]);

  const ready = !!dataset && state.changeFields.length > 0 && (state.change === "DROP_FIELD" || !!state.changeTo);
  const runKey = JSON.stringify([dataset?.id, state.change, state.changeFields, state.changeTo]);
  useEffect(() => {
    setReport(null);
    if (!ready || !dataset) return;
    let live = true;
    const changes = state.changeFields.map((field) => ({
      kind: state.change,
      field,
      ...(state.change === "RENAME_FIELD" ? { newName: state.changeFields.length > 1 ? `${field}_${state.changeTo}` : state.changeTo } : {}),
      ...(state.change === "CHANGE_TYPE" ? { newType: state.changeTo } : {}),
    }));
    gql(ImpactDocument, { dataset: { namespace: dataset.namespace, name: dataset.name }, changes })
      .then((d) => {
        if (live) {
          setReport(d.impact);
          setError(null);
        }
      })
      .catch((e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [runKey]);

  if (!dataset) return <p>Select a dataset to change.</p>;
  const markdown = report ? impactMarkdown(dataset.name, report) : "";
  const toggle = (path: string) =>
    setState({ changeFields: state.changeFields.includes(path) ? state.changeFields.filter((f) => f !== path) : [...state.changeFields, path] });

  async function copy() {
    try {
      await navigator.clipboard.writeText(markdown);
    } catch {
      const area = document.createElement("textarea");
      area.value = markdown;
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    setCopied(true);
    window.setTimeout(() => setCopied(false), 1500);
  }

  return (
    <div>
      <h2>Impact of a change to {dataset.name}</h2>
      <fieldset>
        <legend>Columns</legend>
        {fields.map((f) => (
          <label key={f.id} className="check">
            <input type="checkbox" checked={state.changeFields.includes(f.path)} onChange={() => toggle(f.path)} /> {f.path} <span className="muted">{f.type}</span>
          </label>
        ))}
        {fields.length === 0 && <span className="muted">No columns known.</span>}
      </fieldset>
      <fieldset>
        <legend>Change</legend>
        {CHANGES.map((c) => (
          <label key={c.kind} className="radio">
            <input type="radio" name="change" checked={state.change === c.kind} onChange={() => setState({ change: c.kind, changeTo: null })} /> {c.label}
          </label>
        ))}
        {state.change !== "DROP_FIELD" && (
          <input
            aria-label={state.change === "RENAME_FIELD" ? "New name" : "New type"}
            placeholder={state.change === "RENAME_FIELD" ? "new name" : "new type, e.g. VARCHAR"}
            defaultValue={state.changeTo ?? ""}
            key={state.change}
            onKeyDown={(e) => e.key === "Enter" && setState({ changeTo: (e.target as HTMLInputElement).value || null })}
            onBlur={(e) => setState({ changeTo: e.target.value || null })}
          />
        )}
      </fieldset>
      {error && <div className="error">{error}</div>}
      {report && (
        <div data-testid="impact-report">
          <p>
            <strong className={report.breaking ? "sev sev-BREAKING" : "sev sev-OK"}>{report.breaking ? "Breaking" : "Not breaking"}</strong>{" "}
            {report.summary.breaking} breaking · {report.summary.likely} likely · {report.summary.possible} possible
          </p>
          {report.changes.map((c, i) => (
            <section key={i}>
              <h3>{c.change.description}</h3>
              {c.note && <p className="muted">{c.note}</p>}
              <ul className="impact-items">
                {c.items.map((item) => (
                  <li key={item.node.id + item.severity} data-severity={item.severity}>
                    <span className={`sev sev-${item.severity}`}>{item.severity}</span> <strong>{nodeName(item.node as never)}</strong>{" "}
                    <span className="muted">{item.category.toLowerCase()} · distance {item.distance}</span>
                    <div className="muted small">{item.reason}</div>
                    {item.owners.length > 0 && <div className="small">owners: {item.owners.map((o) => o.name).join(", ")}</div>}
                  </li>
                ))}
              </ul>
            </section>
          ))}
          <button onClick={copy}>{copied ? "Copied" : "Copy markdown report"}</button>
          <details>
            <summary>Markdown</summary>
            <pre className="markdown" data-testid="impact-markdown">{markdown}</pre>
          </details>
        </div>
      )}
    </div>
  );
}
