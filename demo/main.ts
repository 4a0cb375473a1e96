/**
 * Entry of the QA app (demo/index.html). `?url=` picks the dataset (default: the embedded sample
 * dataset that `npm start` serves); the URL box reloads the page with a new `?url=`.
 * @module
 */
import { startApp } from "./app/app.ts";
import { readConfig } from "./app/config.ts";
import { byId } from "./app/dom.ts";
import { describeError, showError } from "./app/errors.ts";
import { installHook } from "./app/test-hook.ts";

const hook = installHook();
const config = readConfig();
const input = byId<HTMLInputElement>("url-input");
input.value = config.url;
byId<HTMLFormElement>("url-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const q = new URLSearchParams(location.search);
  q.set("url", input.value.trim());
  q.delete("crops");
  location.search = q.toString();
});

function fail(e: unknown): void {
  byId("loading").hidden = true;
  showError(e);
  hook.status = "error";
  hook.error = describeError(e).message;
}

if (config.url === "") {
  fail(new Error("No dataset URL: type the URL of an OME-NGFF zarr image or CellMap dataset above, or start the app with `npm start` to open the embedded sample dataset."));
} else {
  byId("loading").textContent = `Opening ${config.url} …`;
  startApp(config).then(
    (app) => {
      byId("loading").hidden = true;
      hook.app = app;
      hook.status = "ready";
      document.title = `cellmap-data · ${app.source.url.slice(app.source.url.lastIndexOf("/") + 1)}`;
    },
    fail,
  );
}
