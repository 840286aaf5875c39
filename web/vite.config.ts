import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Plugin } from "vite";

// The OpenAPI UI at /docs uses these, served from /assets like the explorer's own files, so
// the page works without the internet (FastAPI's default loads them from a public CDN).
const SWAGGER_FILES = ["swagger-ui-bundle.js", "swagger-ui.css"];

function swaggerUi(): Plugin {
  return {
    name: "swagger-ui-assets",
    generateBundle() {
      const dist = resolve(import.meta.dirname, "node_modules/swagger-ui-dist");
      for (const file of SWAGGER_FILES) {
        this.emitFile({ type: "asset", fileName: `assets/swagger-ui/${file}`, source: readFileSync(resolve(dist, file)) });
      }
    },
  };
}

// The build goes into the Python package, which serves it at `/` (lineage/api/app.py).
export default defineConfig({
  plugins: [react(), swaggerUi()],
  base: "/",
  build: {
    outDir: resolve(import.meta.dirname, "../lineage/web/static"),
    emptyOutDir: true,
    chunkSizeWarningLimit: 2500,
    rollupOptions: {
      input: { main: resolve(import.meta.dirname, "index.html"), bench: resolve(import.meta.dirname, "bench.html"), graphiql: resolve(import.meta.dirname, "graphiql.html") },
    },
  },
  server: { proxy: { "/graphql": "http://127.0.0.1:8000", "/api": "http://127.0.0.1:8000" } },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
