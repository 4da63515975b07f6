/**
 * Writes test/test-durations.json from a vitest log (the default reporter's per-file lines,
 * `✓ lean test/x.test.ts (7 tests) 35603ms`), for the duration-ordered sequencer in
 * vitest.config.ts. Run after a full CI run, when test files came or went:
 *   node scripts/test-durations.ts < ci.log
 * Only the first run of the log counts (CI runs the suite on Node 24, then on Node 26).
 */
import { readFileSync, writeFileSync } from 'node:fs';

/** Terminal colour codes around the reporter's words. */
const COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
const log = readFileSync(0, 'utf8').replace(COLOUR, '');
const firstRun = log.split(/Duration\s+[\d.]+s/)[0] ?? log;
const durations: Record<string, number> = {};
for (const m of firstRun.matchAll(/^ [✓❯×] +(\S+) +(test\/\S+\.test\.ts) \(\d+ tests?[^)]*\) (\d+)ms$/gm)) {
  durations[`${m[1]}:${m[2]}`] = Number(m[3]);
}
const sorted = Object.fromEntries(Object.entries(durations).sort(([a], [b]) => (a < b ? -1 : 1)));
writeFileSync(new URL('../test/test-durations.json', import.meta.url), `${JSON.stringify(sorted, null, 1)}\n`);
process.stdout.write(`${Object.keys(sorted).length} test files\n`);
