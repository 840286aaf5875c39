// The lineage explorer: search, the graph, and its modes (explore, path, impact, triage).
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { TOKEN_KEY, getWithToken, gql } from "./api";
import { CapabilitiesDocument, ColumnLineageDocument, FieldsDocument, LineageDocument, PathsDocument, TimelineDocument } from "./generated/graphql";
import type { PathsQuery } from "./generated/graphql";
import { LineageModel, edgeKey, topLevel } from "./model";
import type { GNode, RawNode } from "./model";
import { layout } from "./layout";
import type { Positions } from "./layout";
import { GraphView } from "./GraphView";
import type { GraphHandle } from "./GraphView";
import { Search } from "./Search";
import type { Hit } from "./Search";
import { Panel, time } from "./Panel";
import { formatState, parseState } from "./url";
import type { Mode, ViewState } from "./url";
import type { Capabilities, TriageReport } from "./incidents";
import { NO_CAPABILITIES, healthOf } from "./incidents";
import { ImpactPanel } from "./ImpactPanel";
import type { ImpactReport } from "./ImpactPanel";
import { TriagePanel } from "./TriagePanel";
import { Legend } from "./Legend";
import { foldJobs } from "./view";

type Paths = PathsQuery["paths"];

const MAX_COLUMN_DEPTH = 20;

/** Room between layers for the job names on folded edges. */
const FOLDED_GAP = 120;

/** What the canvas draws of the model: everything, or datasets only (jobs folded into edges). */
function shown(model: LineageModel, datasetsOnly: boolean) {
  const view = model.view();
  return datasetsOnly ? { ...view, ...foldJobs(view.nodes, view.edges) } : view;
}

async function loadGraph(state: ViewState, previous: LineageModel | null, capabilities: Capabilities): Promise<LineageModel> {
  const model = new LineageModel();
  if (!state.node) return model;
  const asOf = state.asOf;
  const data = await gql(LineageDocument, { start: { id: state.node }, direction: "BOTH", depth: state.depth, asOf });
  model.merge(data.lineage.nodes as RawNode[], data.lineage.edges);
  model.root = state.node;
  // A column asked for as the centre: centre on its dataset, with the column drawn.
  const rootNode = model.nodes.get(state.node);
  if (rootNode?.kind === "FIELD" && rootNode.parent) model.root = rootNode.parent;
  for (const op of state.ops) {
    const direction = op[1] === "u" ? "up" : "down";
    const id = op.slice(3);
    if (op[0] === "+") {
      // With jobs folded away, one level more is the datasets past the next jobs.
      const depth = state.datasetsOnly ? 2 : 1;
      const more = await gql(LineageDocument, { start: { id }, direction: direction === "up" ? "UPSTREAM" : "DOWNSTREAM", depth, asOf });
      model.merge(more.lineage.nodes as RawNode[], more.lineage.edges);
    } else {
      model.collapse(id, direction);
    }
  }
  for (const ds of state.cols) {
    const cached = previous?.columns.get(ds);
    if (cached && !asOf) {
      model.columns.set(ds, cached);
    } else {
      const fields = await gql(FieldsDocument, { start: { id: ds }, asOf });
      const node = fields.lineage.nodes[0];
      if (node?.__typename === "Dataset") {
        model.columns.set(
          ds,
          node.fields.map((f) => ({ id: f.id, kind: "FIELD", name: f.path, namespace: "", type: f.type ?? null, up: [], down: [], parent: ds, health: "OK" })),
        );
      }
    }
    model.expandedColumns.add(ds);
  }
  if (capabilities.health) {
    try {
      const health = await healthOf({ start: { id: state.node }, direction: "BOTH", depth: state.depth, asOf });
      for (const [id, h] of health) {
        const n = model.nodes.get(id);
        if (n) model.nodes.set(id, { ...n, health: h });
      }
    } catch {
      // Health is a decoration: the graph is drawn without it.
    }
  }
  return model;
}

/** Draws the column lineage of `field` into `model`; returns what to highlight. */
async function loadColumnPath(model: LineageModel, field: string, asOf: string | null): Promise<Set<string>> {
  const data = await gql(ColumnLineageDocument, { start: { id: field }, depth: MAX_COLUMN_DEPTH, asOf });
  const highlight = new Set<string>();
  for (const raw of data.lineage.nodes) {
    if (raw.__typename !== "Field" || !raw.dataset) continue;
    const ds = raw.dataset.id;
    if (!model.nodes.has(ds)) {
      model.nodes.set(ds, { id: ds, kind: "DATASET", namespace: raw.dataset.namespace, name: raw.dataset.name, type: null, up: [], down: [], health: "OK" });
    }
    model.visible.add(ds);
    model.expandedColumns.add(ds);
    const list = model.columns.get(ds) ?? [];
    if (!list.some((f) => f.id === raw.id)) {
      model.columns.set(ds, [...list, { id: raw.id, kind: "FIELD", name: raw.path, namespace: "", type: raw.ftype ?? null, up: [], down: [], parent: ds, health: "OK" }]);
    }
    highlight.add(raw.id);
  }
  model.merge([], data.lineage.edges);
  for (const e of data.lineage.edges) if (e.kind === "FEEDS") highlight.add(edgeKey(e.source.id, e.target.id, e.kind));
  return highlight;
}

/** A plain link downloads on an open server; with a token the download must carry it. */
function exportWithToken(event: { preventDefault(): void }, url: string, name: string) {
  if (!sessionStorage.getItem(TOKEN_KEY)) return;
  event.preventDefault();
  void getWithToken(url).then((blob) => download(name, URL.createObjectURL(blob)));
}

function download(name: string, href: string) {
  const a = document.createElement("a");
  a.href = href;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
}

function exportStart(node: GNode | undefined): string | null {
  if (!node) return null;
  if (node.kind === "DATASET") return `dataset:${node.namespace}:${node.name}`;
  if (node.kind === "JOB") return `job:${node.namespace}:${node.name}`;
  return null;
}

export function App() {
  const [state, setStateRaw] = useState<ViewState>(() => parseState(window.location.search));
  const [capabilities, setCapabilities] = useState<Capabilities | null>(null);
  const [model, setModel] = useState<LineageModel>(() => new LineageModel());
  const [positions, setPositions] = useState<Positions>(new Map());
  const [columnHighlight, setColumnHighlight] = useState<Set<string>>(new Set());
  const [paths, setPaths] = useState<Paths | null>(null);
  const [impact, setImpact] = useState<ImpactReport | null>(null);
  const [triage, setTriage] = useState<TriageReport | null>(null);
  const [ticks, setTicks] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fitToken, setFitToken] = useState(0);
  const [fitTo, setFitTo] = useState<string[] | null>(null);
  const lastField = useRef<string | null>(null);
  const lastShape = useRef("");
  /** Bumped when a person changed an incident: health and the panel are read again. */
  const [revision, setRevision] = useState(0);
  const graph = useRef<GraphHandle>(null);
  const generation = useRef(0);

  const setState = useCallback((change: Partial<ViewState>, replace = false) => {
    setStateRaw((old) => {
      const next = { ...old, ...change };
      const url = `${window.location.pathname}${formatState(next)}`;
      if (url !== `${window.location.pathname}${window.location.search}`) {
        if (replace) window.history.replaceState(null, "", url);
        else window.history.pushState(null, "", url);
      }
      return next;
    });
  }, []);

  useEffect(() => {
    const onPop = () => setStateRaw(parseState(window.location.search));
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);

  useEffect(() => {
    gql(CapabilitiesDocument)
      .then((d) => {
        const query = new Set(d.query?.fields?.map((f) => f.name) ?? []);
        const dataset = new Set(d.dataset?.fields?.map((f) => f.name) ?? []);
        setCapabilities({ incidents: query.has("incidents"), triage: query.has("triage"), health: dataset.has("health") });
      })
      .catch(() => setCapabilities(NO_CAPABILITIES));
  }, []);

  // The graph: reloaded when what it shows changes, then laid out.
  const graphKey = JSON.stringify([state.node, state.depth, state.asOf, state.ops, state.cols, state.field, state.datasetsOnly, capabilities, revision]);
  useEffect(() => {
    if (!capabilities) return;
    const mine = ++generation.current;
    setBusy(true);
    (async () => {
      const next = await loadGraph(state, model, capabilities);
      let highlight = new Set<string>();
      if (state.field) highlight = await loadColumnPath(next, state.field, state.asOf);
      next.keepConnected();
      const view = shown(next, state.datasetsOnly);
      const placed = await layout(view.nodes, view.fields, view.edges, state.datasetsOnly ? FOLDED_GAP : undefined);
      if (mine !== generation.current) return;
      const first = model.root !== next.root || model.visible.size === 0;
      setModel(next);
      setPositions(placed);
      setColumnHighlight(highlight);
      setError(null);
      // A new start, depth or fold shows the whole graph anew; an action on one node (columns,
      // a level expanded) keeps that node where it was on screen (GraphView).
      const shape = `${state.depth}|${state.datasetsOnly}`;
      const reshaped = shape !== lastShape.current;
      lastShape.current = shape;
      if (state.field && state.field !== lastField.current && highlight.size) {
        setFitTo([...highlight]);
        setFitToken((t) => t + 1);
      } else if (first || reshaped) {
        setFitTo(null);
        setFitToken((t) => t + 1);
      }
      lastField.current = state.field;
    })()
      .catch((e: Error) => mine === generation.current && setError(e.message))
      .finally(() => mine === generation.current && setBusy(false));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [graphKey]);

  // Points in time where something changed around the node, for the time slider.
  useEffect(() => {
    if (!state.node) return;
    gql(TimelineDocument, { start: { id: state.node }, depth: state.depth })
      .then((d) => {
        const times = new Set<string>();
        for (const n of d.lineage.nodes) {
          if (n.__typename === "Dataset") n.versions.nodes.forEach((v) => v.createdAt && times.add(v.createdAt));
          if (n.__typename === "Job") n.runs.nodes.forEach((r) => r.startedAt && times.add(r.startedAt));
        }
        setTicks([...times].map((t) => new Date(t).toISOString()).sort());
      })
      .catch(() => setTicks([]));
  }, [state.node, state.depth]);

  // Path mode: the paths between the two ends, either way round.
  useEffect(() => {
    setPaths(null);
    if (state.mode !== "path" || !state.from || !state.to || state.from === state.to) return;
    let live = true;
    (async () => {
      const ask = (a: string, b: string) => gql(PathsDocument, { from: { id: a }, to: { id: b }, asOf: state.asOf });
      let found = await ask(state.from!, state.to!);
      if (!found.paths.paths.length) found = await ask(state.to!, state.from!);
      if (live) setPaths(found.paths);
    })().catch((e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [state.mode, state.from, state.to, state.asOf]);

  // Nodes a mode's answer names that the graph does not show yet are added to it.
  const extraKey = useRef("");
  useEffect(() => {
    const raws: RawNode[] = [];
    const links: [string, string][] = [];
    if (state.mode === "path" && paths) for (const p of paths.paths) raws.push(...(p.nodes as RawNode[]));
    if (state.mode === "impact" && impact) for (const c of impact.changes) for (const i of c.items) if (i.node.__typename !== "Field") raws.push(i.node as RawNode);
    if (state.mode === "triage" && triage) {
      for (const s of triage.suspects) {
        const path = s.path.map(topLevel).filter((r): r is RawNode => !!r);
        raws.push(...path);
        for (let i = 0; i + 1 < path.length; i++) links.push([path[i + 1].id, path[i].id]);
      }
      raws.push(...triage.blastRadius);
    }
    const seen = new Set<string>();
    const top = raws.map(topLevel).filter((r): r is RawNode => !!r && !seen.has(r.id) && !!seen.add(r.id));
    const missing = top.filter((r) => !model.visible.has(r.id));
    const key = missing.map((r) => r.id).join(",");
    if (!missing.length || key === extraKey.current) return;
    extraKey.current = key;
    const next = model.clone();
    next.merge(missing, []);
    for (const [a, b] of links) {
      const s = next.owner(a);
      const t = next.owner(b);
      const known = [...next.edges.values()].some((e) => (e.source === s && e.target === t) || (e.source === t && e.target === s));
      if (!known && s !== t && next.nodes.has(s) && next.nodes.has(t)) next.edges.set(edgeKey(s, t, "FLOWS_TO"), { id: edgeKey(s, t, "FLOWS_TO"), source: s, target: t, kind: "FLOWS_TO" });
    }
    const view = shown(next, state.datasetsOnly);
    layout(view.nodes, view.fields, view.edges, state.datasetsOnly ? FOLDED_GAP : undefined).then((placed) => {
      setModel(next);
      setPositions(placed);
    });
  }, [paths, impact, triage, state.mode, model, state.datasetsOnly]);

  // What to highlight, by mode.
  const { classes, dim } = useMemo(() => {
    const classes = new Map<string, string[]>();
    const add = (id: string, cls: string) => {
      const list = classes.get(id) ?? [];
      if (!list.includes(cls)) list.push(cls);
      classes.set(id, list);
    };
    const linkEdges = (ids: string[]) => {
      for (let i = 0; i + 1 < ids.length; i++) {
        for (const [a, b] of [
          [ids[i], ids[i + 1]],
          [ids[i + 1], ids[i]],
        ]) {
          for (const kind of ["INPUT_TO", "PRODUCES", "FEEDS", "FLOWS_TO"]) {
            const key = edgeKey(model.owner(a), model.owner(b), kind);
            if (model.edges.has(key)) add(key, "hl");
          }
        }
      }
    };
    let dim = false;
    if (state.field && columnHighlight.size) {
      dim = true;
      for (const id of columnHighlight) add(id, "hl");
      add(state.field, "path-end");
    }
    if (state.mode === "path") {
      if (state.from) add(state.from, "path-end");
      if (state.to) add(state.to, "path-end");
      if (paths?.paths.length) {
        dim = true;
        for (const p of paths.paths) {
          for (const n of p.nodes) add(n.id, "hl");
          for (const e of p.edges) add(edgeKey(e.source.id, e.target.id, e.kind), "hl");
        }
      }
    }
    if (state.mode === "impact" && impact) {
      dim = true;
      const rank = { BREAKING: 0, LIKELY: 1, POSSIBLE: 2 } as Record<string, number>;
      const worst = new Map<string, string>();
      const consider = (id: string, severity: string) => {
        const old = worst.get(id);
        if (!old || rank[severity] < rank[old]) worst.set(id, severity);
      };
      for (const c of impact.changes) {
        for (const item of c.items) {
          consider(item.node.id, item.severity);
          if (item.node.__typename === "Field" && item.node.dataset) consider(item.node.dataset.id, item.severity);
        }
      }
      for (const [id, severity] of worst) add(id, `impact-${severity}`);
      if (state.sel) add(state.sel, "path-end");
    }
    if (state.mode === "triage" && triage) {
      dim = true;
      const owner = (raw: RawNode) => topLevel(raw)?.id ?? model.owner(raw.id);
      for (const n of triage.blastRadius) add(owner(n), "blast");
      add(owner(triage.subject as RawNode), "path-end");
      const chosen = triage.suspects[state.suspect ?? 0];
      if (chosen) {
        const ids = chosen.path.map(owner).filter((id, i, all) => id !== all[i - 1]);
        for (const id of ids) add(id, "hl");
        add(owner(chosen.node), "suspect");
        linkEdges(ids);
      }
    }
    return { classes, dim };
  }, [state.field, state.mode, state.from, state.to, state.sel, state.suspect, columnHighlight, paths, impact, triage, model]);

  const view = useMemo(() => shown(model, state.datasetsOnly), [model, state.datasetsOnly]);
  const hidden = useCallback((id: string) => model.hidden(id), [model]);
  const selected = state.sel ? model.nodes.get(state.sel) ?? view.fields.find((f) => f.id === state.sel) : undefined;

  function openHit(hit: Hit) {
    if (hit.__typename === "Field" && hit.dataset) {
      setState({ node: hit.dataset.id, sel: hit.id, field: hit.id, cols: [hit.dataset.id], ops: [], from: null, to: null });
    } else {
      setState({ node: hit.id, sel: hit.id, field: null, cols: [], ops: [], from: null, to: null });
    }
  }

  function onSelect(id: string | null) {
    if (id && state.mode === "path") {
      if (!state.from || (state.from && state.to)) setState({ from: id, to: null, sel: id });
      else setState({ to: id, sel: id });
      return;
    }
    const node = id ? model.nodes.get(id) ?? view.fields.find((f) => f.id === id) : null;
    if (node?.kind === "FIELD") setState({ sel: id, field: id }, true);
    else setState({ sel: id }, true);
  }

  function expand(id: string, direction: "up" | "down") {
    setState({ ops: [...state.ops, `+${direction[0]}:${id}`] });
  }
  function collapse(id: string, direction: "up" | "down") {
    setState({ ops: [...state.ops, `-${direction[0]}:${id}`] });
  }
  function toggleColumns(id: string) {
    const cols = state.cols.includes(id) ? state.cols.filter((c) => c !== id) : [...state.cols, id];
    const field = state.field && model.owner(state.field) === id && !cols.includes(id) ? null : state.field;
    setState({ cols, field });
  }

  function onKey(key: string, id: string | null) {
    if (!id) return;
    const node = model.nodes.get(id);
    if (!node || node.kind === "FIELD") return;
    if (key === "[") expand(id, "up");
    if (key === "]") expand(id, "down");
    if (key === "{") collapse(id, "up");
    if (key === "}") collapse(id, "down");
    if (key === "c" && node.kind === "DATASET") toggleColumns(id);
  }

  function setMode(mode: Mode) {
    const change: Partial<ViewState> = { mode };
    if (mode !== "path") Object.assign(change, { from: null, to: null });
    if (mode !== "triage") Object.assign(change, { incident: null, suspect: null });
    if (mode !== "impact") Object.assign(change, { changeFields: [], changeTo: null });
    if (mode !== "impact") setImpact(null);
    if (mode !== "triage") setTriage(null);
    setState(change);
  }

  // Time travel: the slider walks the points in time where something changed; the end is now.
  const tickIndex = state.asOf ? Math.max(0, ticks.filter((t) => t <= state.asOf!).length - 1) : ticks.length;
  function setTime(index: number) {
    if (index >= ticks.length) setState({ asOf: null });
    else setState({ asOf: new Date(Date.parse(ticks[index]) + 1000).toISOString() });
  }

  const nameOf = (id: string): string => {
    const known = model.nodes.get(id) ?? view.fields.find((f) => f.id === id);
    if (known) return known.name;
    for (const p of paths?.paths ?? []) for (const n of p.nodes) if (n.id === id && "name" in n) return n.name;
    return "a node outside the graph";
  };
  const root = model.root ? model.nodes.get(model.root) : undefined;
  const start = exportStart(root);
  const exportUrl = (format: string) => {
    const q = new URLSearchParams({ start: start ?? "", direction: "BOTH", depth: String(state.depth), format });
    if (state.asOf) q.set("asOf", state.asOf);
    return `/api/v1/export?${q}`;
  };

  const hasGraph = !!state.node;
  const modes: { mode: Mode; label: string; enabled: boolean; why?: string }[] = [
    { mode: "explore", label: "Explore", enabled: true },
    { mode: "path", label: "Path", enabled: hasGraph },
    { mode: "impact", label: "Impact", enabled: hasGraph },
    { mode: "triage", label: "Triage", enabled: !!capabilities?.triage, why: "this server has no incidents API" },
  ];

  return (
    <div className="app">
      <header className="toolbar">
        <h1>
          <a href="/" onClick={(e) => { e.preventDefault(); setState({ ...parseState(""), mode: "explore" }); }}>lineage</a>
        </h1>
        <Search onOpen={openHit} autoFocus={!state.node} />
        <nav className="modes" aria-label="Mode">
          {modes.map((m) => (
            <button
              key={m.mode}
              aria-pressed={state.mode === m.mode}
              disabled={!m.enabled}
              title={!m.enabled && m.why ? `Triage is unavailable: ${m.why}` : undefined}
              onClick={() => setMode(m.mode)}
              data-testid={`mode-${m.mode}`}
            >
              {m.label}
            </button>
          ))}
        </nav>
        {hasGraph && (
          <div className="controls">
            <label>
              depth{" "}
              <select aria-label="Depth" value={state.depth} onChange={(e) => setState({ depth: Number(e.target.value), ops: [] })}>
                {[1, 2, 3, 4, 5, 6, 8, 10, 14, 20].map((d) => (
                  <option key={d} value={d}>
                    {d}
                  </option>
                ))}
              </select>
            </label>
            <label className="fold-toggle" title="Fold jobs into the edges between datasets">
              <input type="checkbox" checked={state.datasetsOnly} onChange={(e) => setState({ datasetsOnly: e.target.checked })} data-testid="datasets-only" />
              datasets only
            </label>
            <button onClick={() => graph.current?.fit()} title="Fit to view (0)" aria-label="Fit to view">⤢</button>
            <button onClick={() => graph.current?.zoom(1.25)} title="Zoom in (+)" aria-label="Zoom in">+</button>
            <button onClick={() => graph.current?.zoom(0.8)} title="Zoom out (-)" aria-label="Zoom out">−</button>
            <details className="export">
              <summary>Export</summary>
              <div className="menu">
                <button onClick={() => download("lineage.png", graph.current?.png() ?? "")}>View as PNG</button>
                <button onClick={() => download("lineage.svg", URL.createObjectURL(new Blob([graph.current?.svg() ?? ""], { type: "image/svg+xml" })))}>View as SVG</button>
                {start && <a href={exportUrl("json")} download onClick={(e) => exportWithToken(e, exportUrl("json"), "lineage.json")}>Graph as JSON</a>}
                {start && <a href={exportUrl("csv")} download onClick={(e) => exportWithToken(e, exportUrl("csv"), "lineage.csv")}>Graph as CSV</a>}
              </div>
            </details>
          </div>
        )}
      </header>
      {hasGraph && (
        <div className="timebar" aria-label="Time travel">
          <label htmlFor="time-slider">as of</label>
          <input
            id="time-slider"
            type="range"
            min={0}
            max={ticks.length}
            value={tickIndex}
            onChange={(e) => setTime(Number(e.target.value))}
            aria-valuetext={state.asOf ? time(state.asOf) : "now"}
            data-testid="time-slider"
          />
          <input
            type="datetime-local"
            aria-label="As of date and time (UTC)"
            value={state.asOf ? state.asOf.slice(0, 16) : ""}
            onChange={(e) => setState({ asOf: e.target.value ? new Date(`${e.target.value}:00Z`).toISOString() : null })}
          />
          <span className="astime" data-testid="as-of">{state.asOf ? time(state.asOf) : "now"}</span>
          {state.asOf && <button onClick={() => setState({ asOf: null })}>Back to now</button>}
          {busy && <span className="busy" role="status">Loading…</span>}
        </div>
      )}
      {error && (
        <div className="error banner" role="alert">
          {error}
        </div>
      )}
      <main className={`body mode-${state.mode}`}>
        {state.mode !== "explore" && hasGraph && (
          <aside className="modepanel" aria-label={`${state.mode} mode`} data-testid="modepanel">
            {state.mode === "path" && (
              <PathHelp state={state} paths={paths} name={(id) => nameOf(id)} onClear={() => setState({ from: null, to: null })} />
            )}
            {state.mode === "impact" && (
              <ImpactPanel dataset={selected?.kind === "DATASET" ? selected : root?.kind === "DATASET" ? root : undefined} state={state} setState={setState} report={impact} setReport={setImpact} />
            )}
            {state.mode === "triage" && capabilities?.triage && (
              <TriagePanel state={state} setState={setState} report={triage} setReport={setTriage} onOpenNode={(id) => setState({ node: id, ops: [], cols: [], field: null })} onIncidentChanged={() => setRevision((r) => r + 1)} />
            )}
          </aside>
        )}
        {hasGraph ? (
          <GraphView
            ref={graph}
            nodes={view.nodes}
            fields={view.fields}
            edges={view.edges}
            positions={positions}
            root={model.root}
            selected={state.sel}
            classes={classes}
            dim={dim}
            hidden={hidden}
            onSelect={onSelect}
            onOpen={(id) => {
              const node = model.nodes.get(id);
              if (node && node.kind !== "FIELD") setState({ node: id, sel: id, ops: [], field: null });
            }}
            onKey={onKey}
            fitToken={fitToken}
            fitTo={fitTo}
          />
        ) : (
          <Welcome />
        )}
        {hasGraph && selected && (
          <Panel
            key={`${selected.id}:${revision}`}
            node={selected}
            asOf={state.asOf}
            capabilities={capabilities ?? NO_CAPABILITIES}
            hidden={model.hidden(selected.id)}
            columnsShown={state.cols.includes(selected.id)}
            selectedField={state.field}
            actions={{
              expand: (d) => expand(selected.id, d),
              collapse: (d) => collapse(selected.id, d),
              toggleColumns: () => toggleColumns(selected.id),
              selectField: (id) => {
                const ds = id === selected.id ? selected.id : selected.kind === "FIELD" ? selected.parent! : selected.id;
                setState({ field: id, sel: id, cols: state.cols.includes(ds) || selected.kind === "FIELD" ? state.cols : [...state.cols, ds] });
              },
              focus: () => setState({ node: selected.id, ops: [], field: null }),
              pathEnd: (which) => setState({ mode: "path", [which]: selected.id }),
              impact: () => setState({ mode: "impact", sel: selected.id, changeFields: [] }),
            }}
          />
        )}
      </main>
      {hasGraph && <Legend />}
    </div>
  );
}

function PathHelp({ state, paths, name, onClear }: { state: ViewState; paths: Paths | null; name: (id: string) => string; onClear: () => void }) {
  return (
    <div>
      <h2>Paths</h2>
      <p className="muted">Click two nodes: the paths between them are highlighted.</p>
      <dl className="facts">
        <dt>from</dt>
        <dd data-testid="path-from">{state.from ? name(state.from) : "click a node"}</dd>
        <dt>to</dt>
        <dd data-testid="path-to">{state.to ? name(state.to) : state.from ? "click another node" : "-"}</dd>
      </dl>
      {paths && (
        <div data-testid="path-result">
          {paths.paths.length === 0 ? (
            <p>No path between them either way.</p>
          ) : (
            <ol className="paths">
              {paths.paths.map((p, i) => (
                <li key={i}>
                  {p.nodes.map((n) => ("name" in n ? n.name : "path" in n ? n.path : n.id)).join(" → ")} <span className="muted">({p.length} edges)</span>
                </li>
              ))}
            </ol>
          )}
          {paths.truncated && <p className="muted">More paths may exist (the node budget ran out).</p>}
        </div>
      )}
      {(state.from || state.to) && <button onClick={onClear}>Clear</button>}
    </div>
  );
}

function Welcome() {
  return (
    <div className="welcome">
      <h2>Find something to start from</h2>
      <p>Search for a table, a job, a model, an endpoint or a column above, then open it to see its lineage.</p>
      <p className="muted">Every view has its own address: copy the URL to share what you see.</p>
    </div>
  );
}
