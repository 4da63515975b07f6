/**
 * Re-arms `timer` for `ms` from now without a new Timeout: node reads `_idleTimeout` when
 * refresh() re-inserts a timer (net.Socket's own idle timeout relies on the same field), so a
 * connection keeps ONE timer and switches it between its idle, headers and body delays.
 * refresh() also re-arms a timer that has already fired; a cleared one stays dead, so callers
 * disarm by ignoring the firing rather than by clearTimeout.
 */
export function rearm(timer: NodeJS.Timeout, ms: number): void {
  const t = timer as unknown as { _idleTimeout: number };
  if (t._idleTimeout !== ms) t._idleTimeout = ms;
  timer.refresh();
}
