/**
 * `s` with its characters in one piece. A template literal or `+` makes a tree of
 * concatenation nodes (32 bytes each, one per part) that V8 keeps as long as the string lives.
 * Keys kept for the life of an object (a pool, a backend, a route) and built once per object
 * add up: at 10,000 Ingresses a worker held ~29 MiB of such trees in its pool keys and the
 * primary ~19 MiB in backend ids, route origins and translation keys (heap snapshots). A copy
 * through a Buffer is flat: 575 → 106 bytes for a 70-character key of 15 parts, ~0.3 µs.
 * (Reading a character makes V8 flatten the tree in place, but only until the optimizing
 * compiler drops the unused read.) For keys made when a table is built, not per request.
 */
export function flat(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf8').toString('utf8');
}
