// The incident workflow in the explorer: acknowledge (someone is on it), resolve (saying
// why) and reopen the incident being triaged.
import { useEffect, useState } from "react";
import type { IncidentState } from "./incidents";
import { actOn, incidentState } from "./incidents";
import { time } from "./Panel";

export function IncidentActions({ id, onChanged }: { id: string; onChanged: (state: IncidentState) => void }) {
  const [incident, setIncident] = useState<IncidentState | null>(null);
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setIncident(null);
    setError(null);
    incidentState(id)
      .then((found) => live && setIncident(found))
      .catch((e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [id]);

  async function act(action: "acknowledge" | "resolve" | "reopen") {
    setBusy(true);
    setError(null);
    try {
      await actOn(id, action, reason.trim());
      const now = await incidentState(id);
      setIncident(now);
      if (action === "resolve") setReason("");
      if (now) onChanged(now);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  if (!incident) return error ? <div className="error">{error}</div> : null;
  const status = incident.status;
  return (
    <section aria-label="Incident" data-testid="incident-actions">
      <div>
        <span className={`status status-${status}`} data-testid="incident-status">
          {status}
        </span>{" "}
        <span className="muted">
          {incident.shortId} · opened {time(incident.openedAt)}
          {incident.acknowledgedAt && status === "ACKNOWLEDGED" ? ` · acknowledged ${time(incident.acknowledgedAt)}` : ""}
          {incident.resolvedAt && status === "RESOLVED" ? ` · resolved ${time(incident.resolvedAt)}` : ""}
        </span>
      </div>
      {status === "RESOLVED" && incident.resolution && <div className="small">Resolution: {incident.resolution}</div>}
      <div className="incident-actions">
        {status === "OPEN" && (
          <button onClick={() => act("acknowledge")} disabled={busy} title="Someone is on it: the node shows WARNING instead of FAILING">
            Acknowledge
          </button>
        )}
        {status !== "RESOLVED" && (
          <>
            <input aria-label="Resolution reason" placeholder="why it is resolved" value={reason} onChange={(e) => setReason(e.target.value)} />
            <button onClick={() => act("resolve")} disabled={busy || !reason.trim()} title="Close it, saying why">
              Resolve
            </button>
          </>
        )}
        {status === "RESOLVED" && (
          <button onClick={() => act("reopen")} disabled={busy} title="Open it again: the node shows FAILING">
            Reopen
          </button>
        )}
      </div>
      {error && <div className="error">{error}</div>}
    </section>
  );
}
