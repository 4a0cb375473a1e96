export declare const LAYERS: string[][];
export declare const KNOWN: Set<string>;
export declare function check(): { problems: string[]; cycles: string[][] };
