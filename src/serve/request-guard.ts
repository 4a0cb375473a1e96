/**
 * The checks the static server makes before it touches the filesystem, as pure functions: which
 * `Host` names it answers (DNS rebinding), which origins get CORS, and how a request path becomes
 * path segments (percent-decoded once, with every spelling of `..`, a slash or a NUL refused).
 *
 * @example
 * ```ts
 * const hostOk = hostChecker({ boundHost: "127.0.0.1" });
 * hostOk("localhost:8000"); // true
 * hostOk("evil.example:8000"); // false
 * requestSegments("/raw.zarr/s0/c/0/0/0"); // ["raw.zarr", "s0", "c", "0", "0", "0"]
 * requestSegments("/%2e%2e/etc/passwd"); // { status: 403 }
 * ```
 * @module
 */

/** Host names every server answers to: the loopback names. */
export const LOOPBACK_HOSTS: readonly string[] = ["127.0.0.1", "localhost", "[::1]"];

/** Which origins get CORS headers: any (`"*"`) or a list of exact origins (`"http://127.0.0.1:5173"`). */
export type CorsPolicy = "*" | readonly string[];

/** The name part of a `Host` header, lower case, without the port (`[::1]` keeps its brackets). */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    return end < 0 ? h : h.slice(0, end + 1);
  }
  const colon = h.lastIndexOf(":");
  return colon < 0 ? h : h.slice(0, colon);
}

/**
 * A test of `Host` headers: true for the loopback names, the host the server is bound to (unless
 * it is a wildcard address), and `allowed` (exact names, or `.example.org` for a domain and its
 * subdomains); `allowed: true` accepts any name. Ports are not checked, so a tunnel or a port
 * forward to the server still works.
 */
export function hostChecker(options: { boundHost?: string; allowed?: readonly string[] | true }): (header: string | undefined) => boolean {
  if (options.allowed === true) return () => true;
  const names = new Set(LOOPBACK_HOSTS);
  const bound = options.boundHost?.toLowerCase();
  if (bound !== undefined && bound !== "0.0.0.0" && bound !== "::" && bound !== "") names.add(bound.includes(":") ? `[${bound}]` : bound);
  const suffixes: string[] = [];
  for (const a of options.allowed ?? []) {
    const name = a.trim().toLowerCase();
    if (name.startsWith(".")) suffixes.push(name);
    else names.add(name);
  }
  return (header) => {
    if (header === undefined || header === "") return false;
    const name = hostName(header);
    return names.has(name) || suffixes.some((s) => name.endsWith(s) || name === s.slice(1));
  };
}

/** The `Access-Control-Allow-Origin` value for a request from `origin`, or undefined for none. */
export function allowedOrigin(policy: CorsPolicy | undefined, origin: string | undefined): string | undefined {
  if (policy === "*") return "*";
  if (origin === undefined || policy === undefined) return undefined;
  return policy.includes(origin) ? origin : undefined;
}

/**
 * The path segments of a request target (`req.url`), each percent-decoded once. Refused: a target
 * that is not a path (`{ status: 400 }`), a malformed escape (`/%zz`, 400), and a segment that is
 * `.` or `..` or holds a slash, a backslash or a NUL once decoded (`%2e%2e`, `..%2f`, `%5c`, 403).
 * A double-encoded `%252e%252e` decodes to the literal name `%2e%2e`, which is no way out.
 */
export function requestSegments(target: string): string[] | { status: 400 | 403 } {
  const path = target.split(/[?#]/, 1)[0]!;
  if (!path.startsWith("/")) return { status: 400 };
  const segments: string[] = [];
  for (const raw of path.split("/")) {
    if (raw === "") continue;
    let s: string;
    try {
      s = decodeURIComponent(raw);
    } catch {
      return { status: 400 };
    }
    if (s === "." || s === ".." || /[/\\\0]/.test(s)) return { status: 403 };
    segments.push(s);
  }
  return segments;
}
