// Vite configuration of the QA app in demo/ (`npm start` runs it through scripts/start.mjs).
// The app imports the library from src/ directly, so the dev server may read the whole repository.
// The default dataset URL comes from CELLMAP_DATA_URL (scripts/start.mjs sets it to the local data
// server): it is written into the page as a <meta> tag when the page is served, so a new data port
// does not change the config and trigger a dependency re-optimisation. The pages are cross-origin
// isolated (COOP + COEP, so SharedArrayBuffer is available): whatever they load from another
// origin must allow it with CORS or Cross-Origin-Resource-Policy (the data server of
// `npm start` does). The test projects live in vitest.config.ts.
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

const repo = fileURLToPath(new URL(".", import.meta.url));

/** Headers that make the app's pages cross-origin isolated (`crossOriginIsolated === true`). */
const ISOLATION_HEADERS: Record<string, string> = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

export default defineConfig({
  root: fileURLToPath(new URL("./demo", import.meta.url)),
  envDir: repo,
  clearScreen: false,
  plugins: [defaultDatasetUrl()],
  server: {
    host: "127.0.0.1",
    fs: { allow: [repo] },
    headers: ISOLATION_HEADERS,
  },
  preview: { host: "127.0.0.1", headers: ISOLATION_HEADERS },
  // Workers are ES modules (the fetch workers import comlink and zarrita).
  worker: { format: "es" },
  // Pre-bundled once at startup, so the fetch workers do not trigger a reload when they first run.
  optimizeDeps: {
    include: ["comlink", "zarrita"],
    entries: ["index.html"],
  },
  // `npx vite build` writes a static copy of the app to demo/dist/ (open it with ?url=...).
  build: { target: "es2022", chunkSizeWarningLimit: 1024 },
});

/** Puts `<meta name="cellmap-data-url" content="...">` (from CELLMAP_DATA_URL) into the page. */
function defaultDatasetUrl(): Plugin {
  return {
    name: "cellmap-data-url",
    transformIndexHtml(html) {
      const url = process.env["CELLMAP_DATA_URL"] ?? "";
      const escaped = url.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
      return url ? html.replace("</head>", `    <meta name="cellmap-data-url" content="${escaped}" />\n  </head>`) : html;
    },
  };
}
