// The canvas: Cytoscape.js draws what the model shows, where the layout put it.
import { forwardRef, useEffect, useImperativeHandle, useRef } from "react";
import cytoscape from "cytoscape";
import type { Core, ElementDefinition } from "cytoscape";
import svg from "cytoscape-svg";
import type { GEdge, GNode } from "./model";
import { shapeOf } from "./model";
import type { Positions } from "./layout";
import { sizeOf } from "./layout";
import { stylesheet } from "./cystyle";
import { FULL_LABELS, NAMES, detailAt, midName, shortName } from "./view";
import type { Detail, FoldedEdge } from "./view";
import { Overview } from "./Overview";

cytoscape.use(svg);

export interface GraphHandle {
  fit(): void;
  zoom(factor: number): void;
  png(): string;
  svg(): string;
  focus(id: string): void;
  cy(): Core | null;
}

export interface GraphProps {
  nodes: GNode[];
  fields: GNode[];
  edges: GEdge[];
  positions: Positions;
  root: string | null;
  selected: string | null;
  /** Extra classes per element id (highlights, impact colours). */
  classes: Map<string, string[]>;
  /** Dim whatever has no class in `classes`. */
  dim: boolean;
  hidden: (id: string) => { up: number; down: number };
  onSelect: (id: string | null) => void;
  onOpen: (id: string) => void;
  onKey: (key: string, id: string | null) => void;
  /** Bumped when the view should fit the graph (or `fitTo`) again. */
  fitToken: number;
  fitTo?: string[] | null;
}

/** A fit never goes further out than names can be read (see detailAt); the overview's
 * minimap and its count of what is out of view show the rest. */
const READABLE_ZOOM = NAMES;

/** Long names keep their end, the most telling part (schema.table, the dbt node). */
export function shorten(name: string, max: number): string {
  return name.length <= max ? name : `…${name.slice(name.length - max + 1)}`;
}

export function label(node: GNode, hidden: { up: number; down: number }): string {
  if (node.kind === "FIELD") return node.type ? `${node.name}  ·  ${node.type.toLowerCase()}` : node.name;
  const kind = node.kind === "JOB" ? (node.type ?? "job").toLowerCase() : (node.type ?? "table").toLowerCase();
  const left = hidden.up ? `◂${hidden.up} ` : "";
  const right = hidden.down ? ` ${hidden.down}▸` : "";
  const health = node.health === "OK" ? "" : `  ⚠ ${node.health}`;
  return `${shorten(node.name, node.kind === "JOB" ? 24 : 28)}\n${left}${kind}${health}${right}`;
}

function elements(props: GraphProps): ElementDefinition[] {
  const out: ElementDefinition[] = [];
  const parents = new Set(props.fields.map((f) => f.parent));
  // A dataset holding a highlighted column is not dimmed: its opacity would fade the column.
  const holding = new Set(props.fields.filter((f) => props.classes.has(f.id)).map((f) => f.parent));
  for (const n of props.nodes) {
    const size = sizeOf(n);
    const pos = props.positions.get(n.id);
    const classes = [...(props.classes.get(n.id) ?? [])];
    if (n.id === props.root) classes.push("root");
    if (props.dim && !props.classes.has(n.id) && n.id !== props.root && !holding.has(n.id)) classes.push("dim");
    out.push({
      group: "nodes",
      data: { id: n.id, label: label(n, props.hidden(n.id)), short: shortName(n.name), mid: midName(n.name), shape: shapeOf(n), health: n.health, kind: n.kind, ...size },
      position: parents.has(n.id) ? undefined : pos ? { ...pos } : { x: 0, y: 0 },
      classes: classes.join(" "),
      selected: n.id === props.selected,
    });
  }
  for (const f of props.fields) {
    const classes = [...(props.classes.get(f.id) ?? [])];
    if (props.dim && !props.classes.has(f.id)) classes.push("dim");
    out.push({
      group: "nodes",
      data: { id: f.id, parent: f.parent, label: label(f, { up: 0, down: 0 }), short: f.name, mid: f.name, shape: "field", health: f.health, kind: "FIELD", ...sizeOf(f) },
      position: { ...(props.positions.get(f.id) ?? { x: 0, y: 0 }) },
      classes: classes.join(" "),
      selected: f.id === props.selected,
    });
  }
  for (const e of props.edges) {
    // A job folded into this edge lends it the highlights of the edges it replaces.
    const parts = (e as FoldedEdge).parts ?? [];
    const own = [...(props.classes.get(e.id) ?? []), ...parts.flatMap((p) => props.classes.get(p) ?? [])];
    const classes = [...new Set(own)];
    if (props.dim && !own.length) classes.push("dim");
    const via = (e as FoldedEdge).via;
    out.push({
      group: "edges",
      data: { id: e.id, source: e.source, target: e.target, kind: e.kind, transformation: e.transformation ?? "", ...(via ? { via: via.join(", ") } : {}) },
      classes: classes.join(" "),
    });
  }
  return out;
}

export const GraphView = forwardRef<GraphHandle, GraphProps>(function GraphView(props, ref) {
  const container = useRef<HTMLDivElement>(null);
  const cyRef = useRef<Core | null>(null);
  const propsRef = useRef(props);
  propsRef.current = props;

  useEffect(() => {
    const cy = cytoscape({
      container: container.current,
      style: stylesheet(),
      layout: { name: "preset" },
      minZoom: 0.05,
      maxZoom: 3,
      pixelRatio: 1,
      textureOnViewport: false,
      boxSelectionEnabled: false,
      selectionType: "single",
    });
    cy.on("tap", "node", (event) => propsRef.current.onSelect(event.target.id()));
    cy.on("tap", (event) => {
      if (event.target === cy) propsRef.current.onSelect(null);
    });
    cy.on("dbltap", "node", (event) => propsRef.current.onOpen(event.target.id()));
    cy.on("zoom", () => applyDetail(cy));
    cyRef.current = cy;
    (window as unknown as { __cy?: Core }).__cy = cy;
    return () => {
      cy.destroy();
      cyRef.current = null;
    };
  }, []);

  useEffect(() => {
    const cy = cyRef.current;
    if (!cy) return;
    const many = props.nodes.length + props.fields.length > 1000;
    // Keep your place: the node acted on (the selected one, else the root) stays where it
    // was on screen when the graph around it changes (columns shown, a level expanded).
    const anchorId = props.selected ?? props.root;
    const before = anchorId ? cy.getElementById(anchorId) : cy.collection();
    const was = before.length ? { ...before.renderedPosition() } : null;
    cy.batch(() => {
      cy.elements().remove();
      cy.add(elements(props));
      cy.style().selector("edge").style("curve-style", many ? "straight" : "bezier").update();
      applyDetail(cy, true);
    });
    const after = anchorId ? cy.getElementById(anchorId) : cy.collection();
    if (was && after.length) {
      const now = after.renderedPosition();
      cy.panBy({ x: was.x - now.x, y: was.y - now.y });
    }
    // Big graphs: draw a cached bitmap while panning and zooming.
    (cy as unknown as { renderer(): { textureOnViewport: boolean; hideEdgesOnViewport: boolean } }).renderer().textureOnViewport = many;
    (cy as unknown as { renderer(): { textureOnViewport: boolean; hideEdgesOnViewport: boolean } }).renderer().hideEdgesOnViewport = many;
  }, [props.nodes, props.fields, props.edges, props.positions, props.classes, props.dim, props.selected, props.root]);

  // Fit a new graph, but never so far out that labels cannot be read: then centre the root.
  useEffect(() => {
    const cy = cyRef.current;
    if (!cy || !cy.nodes().length) return;
    cy.resize();
    let focus = props.fitTo?.length ? cy.collection() : null;
    for (const id of props.fitTo ?? []) focus = focus!.union(cy.getElementById(id));
    cy.fit(focus && focus.length ? focus : undefined, 40);
    // Columns are read by name: a column path is never fitted further out than full labels.
    const floor = focus && focus.length ? FULL_LABELS : READABLE_ZOOM;
    if (cy.zoom() > 1.3) {
      cy.zoom(1.3);
      cy.center();
    } else if (cy.zoom() < floor) {
      cy.zoom(floor);
      const root = props.root ? cy.getElementById(props.root) : cy.collection();
      cy.center(focus && focus.length ? focus : root.length ? root : undefined);
    }
  }, [props.fitToken]);

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const observer = new ResizeObserver(() => cyRef.current?.resize());
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  useImperativeHandle(ref, () => ({
    fit: () => cyRef.current?.fit(undefined, 40),
    zoom: (factor: number) => {
      const cy = cyRef.current;
      if (!cy) return;
      cy.zoom({ level: cy.zoom() * factor, renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } });
    },
    png: () => cyRef.current?.png({ full: true, bg: "#ffffff", scale: 2 }) ?? "",
    svg: () => (cyRef.current as unknown as { svg(o: object): string })?.svg({ full: true, bg: "#ffffff" }) ?? "",
    focus: (id: string) => {
      const node = cyRef.current?.getElementById(id);
      if (node && node.length) cyRef.current?.animate({ center: { eles: node } }, { duration: 150 });
    },
    cy: () => cyRef.current,
  }));

  function onKeyDown(event: React.KeyboardEvent) {
    const cy = cyRef.current;
    if (!cy) return;
    const current = props.selected ? cy.getElementById(props.selected) : null;
    const move = (dx: number, dy: number) => {
      const nodes = cy.nodes().filter((n) => !n.isParent() || true);
      if (!current || !current.length) {
        const first = cy.getElementById(props.root ?? "");
        if (first.length) props.onSelect(first.id());
        return;
      }
      const here = current.position();
      let best: string | null = null;
      let bestScore = Infinity;
      nodes.forEach((n) => {
        if (n.id() === current.id()) return;
        const p = n.position();
        const along = (p.x - here.x) * dx + (p.y - here.y) * dy;
        if (along <= 1) return;
        const across = Math.abs((p.x - here.x) * dy) + Math.abs((p.y - here.y) * dx);
        const score = along + across * 3;
        if (score < bestScore) {
          bestScore = score;
          best = n.id();
        }
      });
      if (best) {
        props.onSelect(best);
        const target = cy.getElementById(best);
        if (!target.renderedBoundingBox() || !inView(cy, target.renderedPosition())) cy.animate({ center: { eles: target } }, { duration: 120 });
      }
    };
    const keys: Record<string, () => void> = {
      ArrowLeft: () => move(-1, 0),
      ArrowRight: () => move(1, 0),
      ArrowUp: () => move(0, -1),
      ArrowDown: () => move(0, 1),
      Enter: () => props.selected && props.onOpen(props.selected),
      "+": () => cy.zoom({ level: cy.zoom() * 1.2, renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } }),
      "=": () => cy.zoom({ level: cy.zoom() * 1.2, renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } }),
      "-": () => cy.zoom({ level: cy.zoom() / 1.2, renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } }),
      "0": () => cy.fit(undefined, 40),
      Escape: () => props.onSelect(null),
    };
    const action = keys[event.key];
    if (action) {
      event.preventDefault();
      action();
    } else if ("[]{}c".includes(event.key)) {
      event.preventDefault();
      props.onKey(event.key, props.selected);
    }
  }

  return (
    <div className="graph-wrap">
    <div
      className="graph"
      ref={container}
      tabIndex={0}
      role="application"
      aria-label="Lineage graph. Arrow keys move between nodes, Enter opens the selected node, [ and ] expand upstream and downstream, { and } collapse them, c shows columns, + and - zoom, 0 fits the view."
      onKeyDown={onKeyDown}
      data-testid="graph"
      data-nodes={props.nodes.length + props.fields.length}
    />
      <Overview cy={() => cyRef.current} version={props.nodes} onShowAll={() => cyRef.current && fitReadable(cyRef.current, null)} />
    </div>
  );
});

const DETAILS: Detail[] = ["full", "names", "big-names", "boxes"];

/** Names appear as you zoom: each element carries the class of the zoom's level of detail. */
function applyDetail(cy: Core, force = false) {
  const detail = detailAt(cy.zoom());
  const scratch = cy.scratch("_detail") as Detail | undefined;
  if (!force && scratch === detail) return;
  cy.scratch("_detail", detail);
  cy.batch(() => {
    cy.elements().removeClass(DETAILS.map((d) => `lod-${d}`).join(" "));
    cy.elements().addClass(`lod-${detail}`);
  });
  cy.container()?.setAttribute("data-detail", detail);
}

/** Fit everything, but no further out than names can be read: then centre `around`. */
export function fitReadable(cy: Core, around: string | null) {
  cy.fit(undefined, 40);
  if (cy.zoom() > 1.3) {
    cy.zoom(1.3);
    cy.center();
  } else if (cy.zoom() < READABLE_ZOOM) {
    cy.zoom(READABLE_ZOOM);
    const root = around ? cy.getElementById(around) : cy.collection();
    cy.center(root.length ? root : undefined);
  }
}

function inView(cy: Core, p: { x: number; y: number }): boolean {
  return p.x > 20 && p.y > 20 && p.x < cy.width() - 20 && p.y < cy.height() - 20;
}
