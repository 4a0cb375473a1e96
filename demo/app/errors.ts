/** Turning failures into a readable message box instead of a blank page. */
import { isCellMapError } from "../../src/index.ts";
import { byId, h } from "./dom.ts";
import { SourceError } from "./source.ts";

/** Title, message and a hint for any error the app can meet. */
export function describeError(e: unknown): { title: string; message: string; hint: string } {
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof SourceError) {
    return { title: "Could not open the dataset", message, hint: "Check the URL in the box above; it should point to an OME-NGFF zarr image group (zarr v2 or v3) or a CellMap dataset root, served over HTTP with CORS." };
  }
  if (isCellMapError(e, "gpu") || isCellMapError(e, "device-lost")) {
    return { title: "WebGPU problem", message, hint: "Use a browser with WebGPU (Chrome/Edge 113+, Safari 26+, Firefox 141+); headless Chromium needs --enable-unsafe-webgpu." };
  }
  if (isCellMapError(e, "http") || isCellMapError(e, "metadata") || isCellMapError(e, "chunk-decode")) {
    return { title: "Could not read the data", message, hint: "The server answered, but the zarr data could not be read." };
  }
  return { title: "Something went wrong", message, hint: "" };
}

/** Show an error in the page's alert box. */
export function showError(e: unknown): void {
  const { title, message, hint } = describeError(e);
  const box = byId("error");
  box.replaceChildren(h("h2", {}, title), h("p", { class: "message" }, message), ...(hint ? [h("p", { class: "muted" }, hint)] : []));
  box.hidden = false;
}

export function clearError(): void {
  const box = byId("error");
  box.hidden = true;
  box.replaceChildren();
}
