// Types of bin/node-flags.js (plain JavaScript, loaded before any TypeScript).
export declare const PIER_NODE_FLAGS: readonly string[];
export declare function missingNodeFlags(execArgv: readonly string[], nodeOptions?: string): string[];
