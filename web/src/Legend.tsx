import { COLORS, HEALTH_COLORS } from "./cystyle";

const KINDS: [string, string][] = [
  ["table", "table"],
  ["feature", "feature set"],
  ["featureview", "feature view"],
  ["featureservice", "feature service"],
  ["job", "job"],
  ["model", "model"],
  ["deployment", "deployment"],
  ["endpoint", "endpoint"],
];

export function Legend() {
  return (
    <footer className="legend" aria-label="Legend">
      {KINDS.map(([shape, text]) => (
        <span key={shape} className={`chip shape-${shape}`} style={{ background: COLORS[shape].fill, borderColor: COLORS[shape].border }}>
          {text}
        </span>
      ))}
      <span className="chip" style={{ borderColor: HEALTH_COLORS.WARNING, borderStyle: "dashed" }}>warning</span>
      <span className="chip" style={{ borderColor: HEALTH_COLORS.FAILING, borderStyle: "double", borderWidth: 3 }}>failing</span>
      <span className="edge-key">── direct</span>
      <span className="edge-key">- - indirect</span>
      <span className="muted">◂n / n▸: hidden neighbours upstream / downstream</span>
    </footer>
  );
}
