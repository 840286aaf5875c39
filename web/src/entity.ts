// Pure helpers of the entity pages: schema diffs, SQL diffs, model comparisons, what an
// endpoint served when. No React, no fetching: unit-tested in entity.test.ts.

export interface SchemaColumn {
  name: string;
  type: string | null;
  fields?: SchemaColumn[];
}

/** Dotted path -> type, nested columns included, in schema order. */
export function flatSchema(columns: readonly SchemaColumn[], prefix = ""): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const c of columns) {
    const path = prefix + c.name;
    out.set(path, c.type ?? null);
    for (const [p, t] of flatSchema(c.fields ?? [], `${path}.`)) out.set(p, t);
  }
  return out;
}

export interface SchemaDiff {
  added: { path: string; type: string | null }[];
  removed: { path: string; type: string | null }[];
  retyped: { path: string; before: string | null; after: string | null }[];
}

/** What changed from `before` to `after`; types compare case-insensitively and without spaces. */
export function schemaDiff(before: readonly SchemaColumn[], after: readonly SchemaColumn[]): SchemaDiff {
  const old = flatSchema(before);
  const now = flatSchema(after);
  const norm = (t: string | null) => (t ?? "").replace(/\s+/g, "").toUpperCase();
  const diff: SchemaDiff = { added: [], removed: [], retyped: [] };
  for (const [path, type] of now) {
    if (!old.has(path)) diff.added.push({ path, type });
    else if (norm(old.get(path)!) !== norm(type)) diff.retyped.push({ path, before: old.get(path)!, after: type });
  }
  for (const [path, type] of old) if (!now.has(path)) diff.removed.push({ path, type });
  return diff;
}

export function isEmptyDiff(diff: SchemaDiff): boolean {
  return !diff.added.length && !diff.removed.length && !diff.retyped.length;
}

/** "+1 −0 ~1", or "no change". */
export function diffSummary(diff: SchemaDiff): string {
  if (isEmptyDiff(diff)) return "no change";
  const parts = [];
  if (diff.added.length) parts.push(`+${diff.added.length} added`);
  if (diff.removed.length) parts.push(`−${diff.removed.length} removed`);
  if (diff.retyped.length) parts.push(`~${diff.retyped.length} retyped`);
  return parts.join(", ");
}

export interface DiffLine {
  op: " " | "+" | "-";
  text: string;
}

/** A line diff (longest common subsequence): unchanged, removed and added lines in order. */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before.split("\n");
  const b = after.split("\n");
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ op: " ", text: a[i] });
      i++;
      j++;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) out.push({ op: "-", text: a[i++] });
    else out.push({ op: "+", text: b[j++] });
  }
  while (i < n) out.push({ op: "-", text: a[i++] });
  while (j < m) out.push({ op: "+", text: b[j++] });
  return out;
}

export interface RunSql {
  runId: string;
  startedAt: string | null;
  sql: string | null;
}

export interface SqlChange {
  /** The run that first reported the new SQL, and the one before it. */
  run: RunSql;
  previous: RunSql;
  lines: DiffLine[];
}

/** Where the SQL changed between consecutive runs (runs given latest first, as the API lists them). */
export function sqlChanges(runs: readonly RunSql[]): SqlChange[] {
  const known = runs.filter((r) => r.sql !== null);
  const changes: SqlChange[] = [];
  for (let k = 0; k + 1 < known.length; k++) {
    const run = known[k];
    const previous = known[k + 1];
    if (run.sql !== previous.sql) changes.push({ run, previous, lines: lineDiff(previous.sql!, run.sql!) });
  }
  return changes;
}

/** Every key any of the maps has, in first-seen order. */
export function unionKeys(maps: readonly (Record<string, unknown> | null | undefined)[]): string[] {
  const keys: string[] = [];
  for (const m of maps) for (const k of Object.keys(m ?? {})) if (!keys.includes(k)) keys.push(k);
  return keys;
}

/** The change of a metric from the version before, "+0.020" / "−0.050", or "" when not comparable. */
export function metricDelta(value: unknown, previous: unknown): string {
  if (typeof value !== "number" || typeof previous !== "number" || value === previous) return "";
  const d = value - previous;
  const digits = Math.max(decimals(value), decimals(previous), 1);
  return `${d > 0 ? "+" : "−"}${Math.abs(d).toFixed(Math.min(digits, 6))}`;
}

function decimals(x: number): number {
  const text = String(x);
  const dot = text.indexOf(".");
  return dot < 0 ? 0 : text.length - dot - 1;
}

export function display(value: unknown): string {
  if (value === null || value === undefined) return "-";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

export interface Deployment {
  /** When the endpoint started serving it. */
  from: string;
  /** When the next deployment replaced it; null: still serving. */
  until: string | null;
  modelVersion: string | null;
  model: { namespace: string; name: string } | null;
  runId: string | null;
  state: string | null;
}

export interface EndpointVersion {
  createdAt: string | null;
  facets: unknown;
  writtenBy: {
    runId: string;
    state: string;
    startedAt: string | null;
    inputs: { version: string; dataset: { namespace: string; name: string; type: string | null } | null }[];
  } | null;
}

/** Which model version an endpoint served when, oldest first: from each deployment's input model version, else its deployment facet. */
export function servingHistory(versions: readonly EndpointVersion[]): Deployment[] {
  const dated = versions.filter((v) => v.createdAt).slice().sort((x, y) => Date.parse(x.createdAt!) - Date.parse(y.createdAt!));
  return dated.map((v, i) => {
    const input = v.writtenBy?.inputs.find((x) => x.dataset?.type === "MODEL") ?? null;
    const facet = deploymentFacet(v.facets);
    const model = input?.dataset ? { namespace: input.dataset.namespace, name: input.dataset.name } : facet?.model ?? null;
    return {
      from: v.createdAt!,
      until: dated[i + 1]?.createdAt ?? null,
      modelVersion: input?.version ?? facet?.version ?? null,
      model,
      runId: v.writtenBy?.runId ?? null,
      state: v.writtenBy?.state ?? null,
    };
  });
}

function deploymentFacet(facets: unknown): { model: { namespace: string; name: string } | null; version: string | null } | null {
  const facet = (facets as Record<string, unknown> | null)?.lineage_deployment as { model?: { namespace?: string; name?: string; version?: string } } | undefined;
  const m = facet?.model;
  if (!m) return null;
  return { model: m.namespace && m.name ? { namespace: m.namespace, name: m.name } : null, version: m.version ?? null };
}

/** The deployment live at `at` (ISO time), if any. */
export function servingAt(history: readonly Deployment[], at: string): Deployment | null {
  const t = Date.parse(at);
  return history.find((d) => Date.parse(d.from) <= t && (d.until === null || t < Date.parse(d.until))) ?? null;
}
