// Every view is a URL: the state below lives in the query string.

export type Mode = "explore" | "path" | "impact" | "triage";
export type ChangeKind = "DROP_FIELD" | "RENAME_FIELD" | "CHANGE_TYPE";

export interface ViewState {
  /** The node the graph is centred on (GraphQL id). */
  node: string | null;
  depth: number;
  mode: Mode;
  /** ISO time the graph is drawn as of; null: now. */
  asOf: string | null;
  /** The selected node. */
  sel: string | null;
  /** The selected column, whose column lineage is highlighted. */
  field: string | null;
  /** Datasets drawn with their columns. */
  cols: string[];
  /** Expansions and collapses after the first load, in order: "+u:id", "-d:id". */
  ops: string[];
  from: string | null;
  to: string | null;
  incident: string | null;
  suspect: number | null;
  change: ChangeKind;
  /** Columns the impact change applies to. */
  changeFields: string[];
  /** New name (rename) or new type (type change). */
  changeTo: string | null;
  /** Jobs folded into the edges between datasets. */
  datasetsOnly: boolean;
}

export const DEFAULT_DEPTH = 4;
const MODES: Mode[] = ["explore", "path", "impact", "triage"];
const CHANGES: ChangeKind[] = ["DROP_FIELD", "RENAME_FIELD", "CHANGE_TYPE"];

export function emptyState(): ViewState {
  return {
    node: null,
    depth: DEFAULT_DEPTH,
    mode: "explore",
    asOf: null,
    sel: null,
    field: null,
    cols: [],
    ops: [],
    from: null,
    to: null,
    incident: null,
    suspect: null,
    change: "DROP_FIELD",
    changeFields: [],
    changeTo: null,
    datasetsOnly: false,
  };
}

const list = (value: string | null) => (value ? value.split(",").filter(Boolean) : []);

export function parseState(search: string): ViewState {
  const q = new URLSearchParams(search);
  const state = emptyState();
  state.node = q.get("node");
  const depth = Number(q.get("depth"));
  if (Number.isInteger(depth) && depth >= 1 && depth <= 20) state.depth = depth;
  const mode = q.get("mode") as Mode | null;
  if (mode && MODES.includes(mode)) state.mode = mode;
  const asOf = q.get("asOf");
  if (asOf && !Number.isNaN(Date.parse(asOf))) state.asOf = new Date(asOf).toISOString();
  state.sel = q.get("sel");
  state.field = q.get("field");
  state.cols = list(q.get("cols"));
  state.ops = list(q.get("ops")).filter((op) => /^[+-][ud]:/.test(op));
  state.from = q.get("from");
  state.to = q.get("to");
  state.incident = q.get("incident");
  const suspect = Number(q.get("suspect"));
  state.suspect = q.get("suspect") !== null && Number.isInteger(suspect) && suspect >= 0 ? suspect : null;
  const change = q.get("change") as ChangeKind | null;
  if (change && CHANGES.includes(change)) state.change = change;
  state.changeFields = list(q.get("changeFields"));
  state.changeTo = q.get("changeTo");
  state.datasetsOnly = q.get("datasetsOnly") === "1";
  return state;
}

export function formatState(state: ViewState): string {
  const q = new URLSearchParams();
  const defaults = emptyState();
  if (state.node) q.set("node", state.node);
  if (state.depth !== defaults.depth) q.set("depth", String(state.depth));
  if (state.mode !== "explore") q.set("mode", state.mode);
  if (state.asOf) q.set("asOf", state.asOf);
  if (state.sel) q.set("sel", state.sel);
  if (state.field) q.set("field", state.field);
  if (state.cols.length) q.set("cols", state.cols.join(","));
  if (state.ops.length) q.set("ops", state.ops.join(","));
  if (state.from) q.set("from", state.from);
  if (state.to) q.set("to", state.to);
  if (state.incident) q.set("incident", state.incident);
  if (state.suspect !== null) q.set("suspect", String(state.suspect));
  if (state.datasetsOnly) q.set("datasetsOnly", "1");
  if (state.mode === "impact") {
    if (state.change !== defaults.change) q.set("change", state.change);
    if (state.changeFields.length) q.set("changeFields", state.changeFields.join(","));
    if (state.changeTo) q.set("changeTo", state.changeTo);
  }
  const text = q.toString();
  return text ? `?${text}` : "";
}
