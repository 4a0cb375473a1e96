// Vite configuration of the QA app in demo/ (`npm start` runs it through scripts/start.mjs).
// The app imports the library from src/ directly, so the dev server may read the whole repository.
// The default dataset URL comes from CELLMAP_DATA_URL, which scripts/start.mjs sets to the local
// data server. The test projects live in vitest.config.ts.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const repo = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL("./demo", import.meta.url)),
  envDir: repo,
  clearScreen: false,
  define: {
    __CELLMAP_DATA_URL__: JSON.stringify(process.env["CELLMAP_DATA_URL"] ?? ""),
  },
  server: {
    host: "127.0.0.1",
    fs: { allow: [repo] },
  },
  preview: { host: "127.0.0.1" },
  // Workers are ES modules (the fetch workers import comlink and zarrita).
  worker: { format: "es" },
  // Pre-bundled once at startup, so the fetch workers do not trigger a reload when they first run.
  optimizeDeps: {
    include: ["comlink", "zarrita"],
    entries: ["index.html"],
  },
  build: {
    outDir: fileURLToPath(new URL("./dist/demo", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
  },
});
