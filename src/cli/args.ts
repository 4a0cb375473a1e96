import { ArgumentError } from "../errors.ts";

/** Parsed command line: positional words and `--name value` options. */
export interface ParsedArgs {
  positional: string[];
  options: Map<string, string | true>;
}

/**
 * Parse `--opt=value`, `--opt value` (when the value does not start with
 * `-`) and bare `--flag` forms.
 */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      if (eq > 2) {
        options.set(a.slice(2, eq), a.slice(eq + 1));
      } else {
        const next = argv[i + 1];
        if (next !== undefined && !next.startsWith("-")) {
          options.set(a.slice(2), next);
          i++;
        } else {
          options.set(a.slice(2), true);
        }
      }
    } else {
      positional.push(a);
    }
  }
  return { positional, options };
}

/** Read an option that must have a value. */
export function stringOption(args: ParsedArgs, name: string, required: boolean): string | undefined {
  const v = args.options.get(name);
  if (v === true) throw new ArgumentError(`--${name}`, "needs a value (use --" + name + "=VALUE for values starting with '-')");
  if (v === undefined && required) throw new ArgumentError(`--${name}`, "is required");
  return v;
}

/** Parse a comma-separated list of `n` finite numbers. */
export function numberList(name: string, text: string, n: number): number[] {
  const parts = text.split(",").map((s) => s.trim());
  const nums = parts.map((s) => (s === "" ? NaN : Number(s)));
  if (parts.length !== n || nums.some((x) => !Number.isFinite(x))) {
    throw new ArgumentError(`--${name}`, `must be ${n} comma-separated numbers`, text);
  }
  return nums;
}

/** Parse a number or NaN. */
export function padValue(text: string): number {
  if (/^nan$/i.test(text.trim())) return NaN;
  const v = Number(text);
  if (text.trim() === "" || !Number.isFinite(v)) throw new ArgumentError("--pad", "must be a number or NaN", text);
  return v;
}

/** Throw on options the command does not know, naming them. */
export function rejectUnknown(args: ParsedArgs, known: readonly string[]): void {
  for (const k of args.options.keys()) {
    if (!known.includes(k)) throw new ArgumentError(`--${k}`, `is not an option of this command (known: ${known.map((x) => "--" + x).join(", ")})`);
  }
}
