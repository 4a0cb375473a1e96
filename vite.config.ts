// Vite configuration. Empty for now: the demo app (demo/) will set its root and options here.
// The test projects live in vitest.config.ts.
import { defineConfig } from "vite";

export default defineConfig({});
