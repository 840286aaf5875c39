// How each kind of node and edge is drawn.
import type { StylesheetJson } from "cytoscape";

export const COLORS: Record<string, { fill: string; border: string }> = {
  table: { fill: "#dbeafe", border: "#2563eb" },
  feature: { fill: "#e0e7ff", border: "#4f46e5" },
  featureview: { fill: "#ede9fe", border: "#7c3aed" },
  featureservice: { fill: "#fae8ff", border: "#a21caf" },
  job: { fill: "#f3f4f6", border: "#4b5563" },
  model: { fill: "#fef3c7", border: "#b45309" },
  deployment: { fill: "#ccfbf1", border: "#0f766e" },
  endpoint: { fill: "#dcfce7", border: "#15803d" },
  field: { fill: "#ffffff", border: "#94a3b8" },
};

export const SHAPES: Record<string, string> = {
  table: "round-rectangle",
  feature: "round-rectangle",
  featureview: "cut-rectangle",
  featureservice: "barrel",
  job: "ellipse",
  model: "hexagon",
  deployment: "octagon",
  endpoint: "round-tag",
  field: "rectangle",
};

export const SEVERITY_COLORS: Record<string, string> = {
  BREAKING: "#dc2626",
  LIKELY: "#ea580c",
  POSSIBLE: "#ca8a04",
};

export const HEALTH_COLORS: Record<string, string> = { OK: "#16a34a", WARNING: "#d97706", FAILING: "#dc2626" };

export function stylesheet(): StylesheetJson {
  const byShape = Object.keys(SHAPES).map((shape) => ({
    selector: `node[shape = "${shape}"]`,
    style: {
      shape: SHAPES[shape],
      "background-color": COLORS[shape].fill,
      "border-color": COLORS[shape].border,
    },
  }));
  return [
    {
      selector: "node",
      style: {
        label: "data(label)",
        "text-wrap": "wrap",
        "text-max-width": "176px",
        "font-size": 12,
        "font-family": "DejaVu Sans, Helvetica, Arial, sans-serif",
        color: "#111827",
        "text-valign": "center",
        "text-halign": "center",
        width: "data(width)",
        height: "data(height)",
        "border-width": 1.5,
        "min-zoomed-font-size": 6,
      },
    },
    ...byShape,
    {
      selector: "node[shape = \"field\"]",
      style: { "font-size": 10, "text-halign": "center", "border-width": 1 },
    },
    {
      selector: ":parent",
      style: {
        "text-valign": "top",
        "text-halign": "center",
        "text-margin-y": -3,
        padding: "8px",
        "background-opacity": 0.55,
        shape: "round-rectangle",
      },
    },
    { selector: "node[health = \"WARNING\"]", style: { "border-color": HEALTH_COLORS.WARNING, "border-width": 3, "border-style": "dashed" } },
    { selector: "node[health = \"FAILING\"]", style: { "border-color": HEALTH_COLORS.FAILING, "border-width": 3.5, "border-style": "double" } },
    { selector: "node.root", style: { "underlay-color": "#2563eb", "underlay-opacity": 0.12, "underlay-padding": 8 } },
    { selector: "node:selected", style: { "overlay-color": "#2563eb", "overlay-opacity": 0.18, "overlay-padding": 6 } },
    {
      selector: "edge",
      style: {
        width: 1.4,
        "line-color": "#9ca3af",
        "target-arrow-color": "#9ca3af",
        "target-arrow-shape": "triangle",
        "arrow-scale": 0.8,
        "curve-style": "bezier",
      },
    },
    { selector: "edge[kind = \"FEEDS\"]", style: { "line-color": "#64748b", "target-arrow-color": "#64748b", width: 1.2 } },
    { selector: "edge[transformation = \"INDIRECT\"]", style: { "line-style": "dashed", "line-dash-pattern": [6, 4] } },
    // Level of detail (GraphView's applyDetail): zoomed out, a node shows only its short
    // name, drawn bigger so it stays readable; further out only the boxes.
    { selector: "node.lod-names", style: { label: "data(mid)", "font-size": 24, "text-wrap": "ellipsis", "text-max-width": "210px" } },
    { selector: "node.lod-big-names", style: { label: "data(short)", "font-size": 32, "font-weight": "bold", "text-wrap": "ellipsis", "text-max-width": "230px" } },
    // Far out, jobs give their room to the datasets' names (the datasets are what one looks for).
    { selector: "node[kind = \"JOB\"].lod-big-names", style: { label: "" } },
    { selector: "node.lod-boxes", style: { label: "" } },
    { selector: "node[shape = \"field\"].lod-names", style: { "font-size": 14, label: "data(short)" } },
    { selector: "node[shape = \"field\"].lod-big-names", style: { label: "" } },
    // "Datasets only": an edge that stands for jobs names them when zoomed in.
    {
      selector: "edge[via].lod-full",
      style: { label: "data(via)", "font-size": 10, color: "#475569", "text-rotation": "autorotate", "text-background-color": "#ffffff", "text-background-opacity": 0.85, "text-background-padding": "2px" },
    },
    { selector: ".dim", style: { opacity: 0.22 } },
    { selector: "node.hl", style: { "underlay-color": "#f59e0b", "underlay-opacity": 0.45, "underlay-padding": 5, opacity: 1 } },
    { selector: "edge.hl", style: { "line-color": "#d97706", "target-arrow-color": "#d97706", width: 3, opacity: 1, "z-index": 10 } },
    { selector: "edge.hl[transformation = \"INDIRECT\"]", style: { "line-color": "#7c3aed", "target-arrow-color": "#7c3aed" } },
    { selector: "node.path-end", style: { "underlay-color": "#7c3aed", "underlay-opacity": 0.5, "underlay-padding": 7 } },
    ...Object.entries(SEVERITY_COLORS).map(([severity, color]) => ({
      selector: `node.impact-${severity}`,
      style: { "background-color": color, "background-opacity": 0.35, "border-color": color, "border-width": 3, opacity: 1 },
    })),
    { selector: "node.blast", style: { "background-color": "#fecaca", "border-color": "#b91c1c", "border-width": 2, opacity: 1 } },
    { selector: "node.suspect", style: { "underlay-color": "#dc2626", "underlay-opacity": 0.5, "underlay-padding": 7, opacity: 1 } },
  ] as unknown as StylesheetJson;
}
