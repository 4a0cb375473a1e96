export declare const LAYERS: string[][];
export declare const KNOWN: Set<string>;
export declare function check(): { problems: string[]; cycles: string[][] };
/** The unit of src/ an absolute file path belongs to (in src/kernels/, its role: `kernels/contract`, `kernels/twin`, `kernels/gpu`, or `kernels/?`). */
export declare function unit(file: string): string;
