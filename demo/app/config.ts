/**
 * Start-up options of the app, from the page URL: `?url=` (the dataset), `?crops=crop1,crop2`
 * (crop names when the dataset has no manifest), `?present=webgpu|copy` (how frames reach the
 * screen). The default dataset is the one `npm start` serves: vite.config.ts writes its URL into
 * a `<meta name="cellmap-data-url">` tag.
 * @module
 */

export interface AppConfig {
  /** The dataset URL, or "" when none was given and no default is known. */
  url: string;
  crops: string[] | undefined;
  present: "webgpu" | "copy" | "auto";
}

/** The embedded dataset's URL, when the app was started by `npm start`. */
export function defaultDatasetUrl(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="cellmap-data-url"]')?.content ?? "";
}

export function readConfig(search: string = location.search): AppConfig {
  const q = new URLSearchParams(search);
  const crops = q.get("crops");
  const present = q.get("present");
  return {
    url: q.get("url") ?? defaultDatasetUrl(),
    crops: crops ? crops.split(",").map((s) => s.trim()).filter(Boolean) : undefined,
    present: present === "webgpu" || present === "copy" ? present : "auto",
  };
}
