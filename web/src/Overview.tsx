// Over the canvas: a minimap of the whole graph with the part on screen outlined (click or
// drag in it to go there), and how many nodes are out of view, with a way to show them all.
import { useEffect, useRef, useState } from "react";
import type { Core } from "cytoscape";
import { COLORS } from "./cystyle";

const WIDTH = 200;
const HEIGHT = 120;

export function Overview({ cy, version, onShowAll }: { cy: () => Core | null; version: unknown; onShowAll: () => void }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [outside, setOutside] = useState(0);
  const frame = useRef(0);
  const scale = useRef({ s: 1, x: 0, y: 0 });

  useEffect(() => {
    const core = cy();
    if (!core) return;
    const draw = () => {
      frame.current = 0;
      const c = canvas.current;
      const ctx = c?.getContext("2d");
      if (!c || !ctx || core.destroyed()) return;
      ctx.clearRect(0, 0, WIDTH, HEIGHT);
      const nodes = core.nodes();
      if (!nodes.length) {
        setOutside(0);
        return;
      }
      const box = nodes.boundingBox({});
      const view = core.extent();
      const s = Math.min((WIDTH - 8) / Math.max(box.w, 1), (HEIGHT - 8) / Math.max(box.h, 1));
      const ox = (WIDTH - box.w * s) / 2 - box.x1 * s;
      const oy = (HEIGHT - box.h * s) / 2 - box.y1 * s;
      scale.current = { s, x: ox, y: oy };
      let out = 0;
      nodes.forEach((n) => {
        const b = n.boundingBox({ includeLabels: false, includeOverlays: false });
        const shape = (n.data("shape") as string) ?? "table";
        ctx.fillStyle = n.isParent() ? "#eef2ff" : (COLORS[shape] ?? COLORS.table).border;
        ctx.fillRect(ox + b.x1 * s, oy + b.y1 * s, Math.max(b.w * s, 2), Math.max(b.h * s, 2));
        if (!n.isChild() && (b.x2 < view.x1 || b.x1 > view.x2 || b.y2 < view.y1 || b.y1 > view.y2)) out++;
      });
      ctx.strokeStyle = "#1d4ed8";
      ctx.lineWidth = 1.5;
      ctx.strokeRect(ox + view.x1 * s, oy + view.y1 * s, view.w * s, view.h * s);
      setOutside(out);
    };
    const schedule = () => {
      if (!frame.current) frame.current = requestAnimationFrame(draw);
    };
    core.on("viewport resize add remove position", schedule);
    schedule();
    return () => {
      core.removeListener("viewport resize add remove position", schedule);
      if (frame.current) cancelAnimationFrame(frame.current);
      frame.current = 0;
    };
  }, [cy, version]);

  function go(event: React.PointerEvent<HTMLCanvasElement>) {
    const core = cy();
    if (!core || (event.type === "pointermove" && !(event.buttons & 1))) return;
    const rect = event.currentTarget.getBoundingClientRect();
    const { s, x, y } = scale.current;
    const mx = (event.clientX - rect.left - x) / s;
    const my = (event.clientY - rect.top - y) / s;
    const zoom = core.zoom();
    core.pan({ x: core.width() / 2 - mx * zoom, y: core.height() / 2 - my * zoom });
  }

  return (
    <>
      <canvas
        ref={canvas}
        className="minimap"
        width={WIDTH}
        height={HEIGHT}
        data-testid="minimap"
        aria-label="Minimap: the whole graph, the part on screen outlined; click to go there"
        onPointerDown={go}
        onPointerMove={go}
      />
      {outside > 0 && (
        <div className="offscreen" role="status" data-testid="offscreen">
          {outside} node{outside === 1 ? "" : "s"} out of view{" "}
          <button onClick={onShowAll} data-testid="show-all">
            Show all
          </button>
        </div>
      )}
    </>
  );
}
