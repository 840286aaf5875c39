// Triage mode: an open incident, its suspects ranked with evidence, paths and blast radius.
import { useEffect, useState } from "react";
import type { IncidentSummary, TriageReport } from "./incidents";
import { openIncidents, triage } from "./incidents";
import type { ViewState } from "./url";
import type { RawNode } from "./model";
import { time } from "./Panel";
import { IncidentActions } from "./IncidentActions";

function name(node: RawNode | null | undefined): string {
  if (!node) return "?";
  if (node.__typename === "Field") return `${node.dataset?.name ?? "?"}.${node.path}`;
  if (node.__typename === "DatasetVersion") return `${node.dataset?.name ?? "?"} (version ${(node.version ?? "").slice(0, 12)})`;
  if (node.__typename === "Run") return `${node.job?.name ?? "?"} (run ${(node.runId ?? "").slice(0, 8)})`;
  return node.name ?? node.id;
}

export function TriagePanel(props: {
  state: ViewState;
  setState: (s: Partial<ViewState>) => void;
  report: TriageReport | null;
  setReport: (r: TriageReport | null) => void;
  onOpenNode: (id: string) => void;
  /** A person acknowledged, resolved or reopened an incident. */
  onIncidentChanged?: () => void;
}) {
  const { state, setState, report, setReport } = props;
  const [incidents, setIncidents] = useState<IncidentSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const [listed, setListed] = useState(0);
  useEffect(() => {
    openIncidents()
      .then(setIncidents)
      .catch((e: Error) => setError(e.message));
  }, [listed]);
  // The incident chosen stays in the list once resolved, so it can be reopened.
  const [chosen, setChosen] = useState<{ id: string; title: string } | null>(null);
  const options = incidents && chosen && chosen.id === state.incident && !incidents.some((i) => i.id === chosen.id) ? [...incidents, { ...chosen, severity: "RESOLVED" }] : incidents;

  useEffect(() => {
    setReport(null);
    if (!state.incident) return;
    let live = true;
    triage(state.incident)
      .then((r) => live && setReport(r))
      .catch((e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [state.incident]);

  return (
    <div>
      <h2>Triage</h2>
      {error && <div className="error">{error}</div>}
      <label>
        Open incident{" "}
        <select
          aria-label="Open incident"
          value={state.incident ?? ""}
          onChange={(e) => {
            const chosen = incidents?.find((i) => i.id === e.target.value);
            const subject = chosen?.subject;
            const node = subject?.__typename === "Field" ? subject.dataset?.id : subject?.id;
            setState({ incident: e.target.value || null, suspect: null, ...(node ? { node, sel: node, ops: [], field: null } : {}) });
          }}
        >
          <option value="">choose…</option>
          {options?.map((i) => (
            <option key={i.id} value={i.id}>
              [{i.severity}] {i.title}
            </option>
          ))}
        </select>
      </label>
      {incidents && incidents.length === 0 && <p className="muted">No open incidents.</p>}
      {state.incident && (
        <IncidentActions
          id={state.incident}
          onChanged={(now) => {
            setChosen({ id: state.incident!, title: now.title });
            setListed((n) => n + 1);
            props.onIncidentChanged?.();
          }}
        />
      )}
      {report && (
        <div data-testid="triage-report">
          <p className="muted">
            {report.incident?.title} · {report.scope}
            {report.truncated ? " · truncated" : ""}
          </p>
          <h3>Suspects</h3>
          <ol className="suspects">
            {report.suspects.map((s, i) => (
              <li key={s.node.id} className={(state.suspect ?? 0) === i ? "selected" : ""} data-testid="suspect">
                <button className="link" onClick={() => setState({ suspect: i })} aria-pressed={(state.suspect ?? 0) === i}>
                  <strong>{name(s.node)}</strong>
                </button>{" "}
                <span className="muted">score {s.score.toFixed(2)}</span>
                {s.why && <div className="muted small">{s.why}</div>}
                <ul className="evidence">
                  {s.evidence.map((e, j) => (
                    <li key={j}>
                      <span className="ev">{e.kind}</span> {e.detail} {e.observedAt && <span className="muted">({time(e.observedAt)})</span>}
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ol>
          {report.suspects.length === 0 && <p>No suspects upstream.</p>}
          <h3>Blast radius ({report.blastRadius.length})</h3>
          <ul className="blast">
            {report.blastRadius.map((n) => (
              <li key={n.id}>{name(n)}</li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
