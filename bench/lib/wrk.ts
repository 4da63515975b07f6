/**
 * Runs wrk (pinned to the load core) and parses its `--latency` report.
 */
import { execFile } from 'node:child_process';

/** What one wrk run measured. Latencies in microseconds. */
export interface WrkResult {
  readonly requests: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly p50Us: number;
  readonly p99Us: number;
  /** Socket errors (connect/read/write/timeout) plus non-2xx/3xx responses. */
  readonly errors: number;
}

/** One wrk invocation. */
export interface WrkOptions {
  readonly url: string;
  readonly durationSeconds: number;
  readonly connections: number;
  readonly threads: number;
  /** taskset CPU list for wrk itself. */
  readonly cpus: string;
  readonly headers: readonly string[];
}

/** Runs wrk, bounded to its duration plus 15 s; rejects with wrk's output if it fails. */
export function runWrk(options: WrkOptions): Promise<WrkResult> {
  const args = [
    '-c', options.cpus, 'wrk', `-t${options.threads}`, `-c${options.connections}`, `-d${options.durationSeconds}s`,
    '--latency', '--timeout', '2s', ...options.headers.flatMap((h) => ['-H', h]), options.url,
  ];
  return new Promise((resolve, reject) => {
    execFile('taskset', args, { timeout: (options.durationSeconds + 15) * 1000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`wrk failed: ${err.message}\n${stdout}${stderr}`));
      try {
        resolve(parseWrkOutput(stdout));
      } catch (parseErr) {
        reject(parseErr);
      }
    });
  });
}

const UNIT_US: Readonly<Record<string, number>> = { us: 1, ms: 1_000, s: 1_000_000, m: 60_000_000 };

function durationUs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!match) throw new Error(`wrk: unreadable duration ${JSON.stringify(text)}`);
  return Number(match[1]) * UNIT_US[match[2]!]!;
}

function required(output: string, pattern: RegExp, what: string): RegExpExecArray {
  const match = pattern.exec(output);
  if (!match) throw new Error(`wrk: no ${what} in output:\n${output}`);
  return match;
}

/** Parses the text wrk prints with `--latency`. Exported for tests. */
export function parseWrkOutput(output: string): WrkResult {
  const total = required(output, /(\d+) requests in ([\d.]+)(us|ms|s|m),/, 'request count');
  const seconds = durationUs(`${total[2]}${total[3]}`) / 1e6;
  const rps = required(output, /Requests\/sec:\s+([\d.]+)/, 'Requests/sec');
  const p50 = required(output, /^\s+50%\s+(\S+)/m, 'p50 (was --latency given?)');
  const p99 = required(output, /^\s+99%\s+(\S+)/m, 'p99');
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  const errors = (socket ? socket.slice(1, 5).reduce((s, n) => s + Number(n), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0);
  return {
    requests: Number(total[1]), seconds, requestsPerSecond: Number(rps[1]),
    p50Us: durationUs(p50[1]!), p99Us: durationUs(p99[1]!), errors,
  };
}
