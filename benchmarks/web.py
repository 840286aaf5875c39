"""Web explorer benchmark: layout and first-render times of generated graphs in headless
Chromium, as JSON.

    python benchmarks/web.py                    # 500, 2,000 and 5,000 nodes
    python benchmarks/web.py --sizes 2000 --runs 3

Needs the built explorer (``make web``) and /usr/bin/chromium (``make chromium``);
``make bench-web`` does both. It serves the built files with a real ``lineage serve``
and opens ``/bench.html``, which lays out a generated lineage graph (layers of datasets
and jobs, 1-3 inputs a job) with the explorer's ELK settings in its web worker, draws it
with the explorer's Cytoscape.js styles, and measures:

- layout_ms: ELK layered layout, in the worker;
- first_render_ms: from positions to the second painted frame;
- zoom_frame_ms: mean time per frame over 20 zoom steps (interactivity);
- overlaps: pairs of node boxes that intersect (the layout must give 0).

Target: 2,000 visible nodes stay interactive (zoom frames well under 100 ms).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lineage.api.web import STATIC  # noqa: E402
from tests.e2e.server import Server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 5000])
    parser.add_argument("--runs", type=int, default=1, help="runs per size; medians reported")
    args = parser.parse_args()
    if not (STATIC / "bench.html").is_file():
        print("the explorer is not built: run `make web`", file=sys.stderr)
        return 2
    if not Path(CHROMIUM).exists():
        print("no /usr/bin/chromium: run `make chromium` (as root)", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        server = Server(f"sqlite:///{folder}/lineage.db", Path(folder) / "server.log").start()
        try:
            with sync_playwright() as p:
                context = p.chromium.launch_persistent_context(
                    str(Path(folder) / "profile"),
                    executable_path=CHROMIUM,
                    args=ARGS,
                    headless=True,
                    viewport={"width": 1280, "height": 800},
                )
                page = context.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(server.url + "/bench.html")
                page.wait_for_function("() => document.title === 'bench ready'")
                for size in args.sizes:
                    runs = [
                        page.evaluate("n => window.__bench(n)", size) for _ in range(args.runs)
                    ]
                    row = dict(runs[0])
                    for key in ("layout_ms", "first_render_ms", "zoom_frame_ms"):
                        row[key] = statistics.median(r[key] for r in runs)
                    row["overlaps"] = max(r["overlaps"] for r in runs)
                    row["runs"] = args.runs
                    results.append(row)
                context.close()
                if errors:
                    print("\n".join(errors), file=sys.stderr)
                    return 1
        finally:
            server.stop()
    print(json.dumps({"benchmark": "web", "viewport": "1280x800", "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
