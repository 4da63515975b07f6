import { pino } from 'pino';

/** An open access log: lines are written asynchronously, flushed at least every second. */
export interface AccessLogStream {
  write(line: string): unknown;
  /** Writes what is buffered now (before the worker exits). */
  flushSync(): void;
}

/**
 * Opens `--access-log`'s target for one worker: `stdout`, or a file appended to. Writes never
 * block the worker (pino's async destination, sonic-boom): lines gather in memory until 2 KiB
 * are pending or a second passed, then go out in one write. Each write holds whole lines and
 * at most 4 KiB (PIPE_BUF), so the workers sharing stdout (a pipe) or the file (O_APPEND)
 * never interleave inside a line. At most 16 MiB wait for a destination that stopped taking
 * them (a stdout nobody reads); lines past that are dropped.
 */
export function openAccessLog(target: string): AccessLogStream {
  return pino.destination({
    dest: target === 'stdout' ? 1 : target,
    sync: false,
    append: true,
    minLength: 2048,
    maxWrite: 4096,
    periodicFlush: 1000,
    // A destination that stopped taking lines (stdout never read) holds at most this much;
    // past it new lines are dropped rather than the worker's memory growing.
    maxLength: 16 * 1024 * 1024,
  });
}
