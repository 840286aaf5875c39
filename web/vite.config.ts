import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import { resolve } from "node:path";

// The build goes into the Python package, which serves it at `/` (lineage/api/app.py).
export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir: resolve(import.meta.dirname, "../lineage/web/static"),
    emptyOutDir: true,
    chunkSizeWarningLimit: 2500,
    rollupOptions: {
      input: { main: resolve(import.meta.dirname, "index.html"), bench: resolve(import.meta.dirname, "bench.html") },
    },
  },
  server: { proxy: { "/graphql": "http://127.0.0.1:8000", "/api": "http://127.0.0.1:8000" } },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
