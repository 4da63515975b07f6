import { pino } from 'pino';

/** An open access log: lines are written asynchronously. */
export interface AccessLogStream {
  write(line: string): unknown;
  /** Writes what is buffered now (before the worker exits). */
  flushSync(): void;
}

/**
 * Opens `--access-log`'s target for one worker: `stdout`, or a file appended to. Writes never
 * block the worker (pino's async destination, sonic-boom): while one write is in flight the
 * next lines gather in memory and leave together in the next one, so a busy worker makes few
 * writes and a quiet one writes each line at once. (A `minLength` floor was measured too:
 * 2 KiB cost 3-5× the CPU per line of this, by making the batches smaller.) Each write holds
 * whole lines; to stdout at most 4 KiB (PIPE_BUF), so the workers sharing that pipe never
 * interleave inside a line (a file is appended to with O_APPEND: 16 KiB). At most 16 MiB wait
 * for a destination that stopped taking lines (a stdout nobody reads); past that, lines are
 * dropped rather than the worker's memory growing.
 */
export function openAccessLog(target: string): AccessLogStream {
  const stdout = target === 'stdout';
  return pino.destination({
    dest: stdout ? 1 : target,
    sync: false,
    append: true,
    maxWrite: stdout ? 4096 : 16384,
    maxLength: 16 * 1024 * 1024,
  });
}
