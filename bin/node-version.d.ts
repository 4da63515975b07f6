// Types of bin/node-version.js (plain JavaScript, so that any Node can load it).
export declare const TESTED_NODE_MAJORS: readonly number[];
export declare const UNTESTED_NODE_ENV: string;
export declare function nodeVersionProblem(version: string, env?: Readonly<Record<string, string | undefined>>): string | undefined;
