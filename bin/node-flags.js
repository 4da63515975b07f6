// The V8 flags `pier serve` runs with, in the primary and (inherited through node:cluster) in
// every worker. Plain JavaScript: bin/pier.js loads it before any TypeScript.
//
// --max-semi-space-size caps V8's young generation. V8 sizes it from the machine's memory (or
// the container's limit): on a large node each process grows it to 2 × 64 MiB under load and
// keeps it, which was a third of a worker's RSS at 10,000 Ingresses. Pier's garbage is
// short-lived and GC is a small share of a worker's time: the 16 MiB cap cost no measurable
// CPU per request (bench/results/control-plane.md, "Against the goals").

/** Flags Pier adds unless the same flag is already on the command line or in NODE_OPTIONS. */
export const PIER_NODE_FLAGS = ['--max-semi-space-size=16'];

/** The flags of PIER_NODE_FLAGS that neither `execArgv` nor `nodeOptions` sets (by name). */
export function missingNodeFlags(execArgv, nodeOptions = '') {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].map((arg) => arg.split('=')[0].replaceAll('_', '-'));
  return PIER_NODE_FLAGS.filter((flag) => !given.includes(flag.split('=')[0]));
}
