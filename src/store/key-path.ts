/**
 * A zarr key or path (raw segment names, as NGFF `datasets[].path` and the stores use them) as URL
 * path text: each segment percent-encoded, "/" kept. Level names written by zarr-python 3 may hold
 * `#`, `%` or `?`; a key must be encoded this way before it is appended to a URL, and before it is
 * given to zarrita's `Location.resolve`, which parses its argument as a URL and decodes it again.
 *
 * @example
 * ```ts
 * encodeKeyPath("/raw/s0#1/zarr.json"); // "/raw/s0%231/zarr.json"
 * zarr.root(store).resolve(encodeKeyPath("s0#1")).path; // "/s0#1"
 * ```
 */
export function encodeKeyPath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}
