import { pino, type Logger } from 'pino';
import type { LogLevel } from '../config.ts';
import type { Problem } from '../translate/problem.ts';

export type { Logger } from 'pino';

/**
 * The process logger: JSON lines on stdout (pino), one `component` per stage. pino writes
 * synchronously to stdout by default here on purpose: log lines are rare (control plane only;
 * the access log is opt-in) and must not be lost when a worker exits.
 */
export function createLogger(level: LogLevel, bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { ...bindings }, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } });
}

/** One log line per problem: kind, namespace, name, reason and message as separate fields. */
export function logProblem(logger: Logger, problem: Problem): void {
  const fields = { kind: problem.kind, namespace: problem.namespace || undefined, name: problem.name, reason: problem.reason };
  if (problem.severity === 'Normal') logger.info(fields, problem.message);
  else logger.warn(fields, problem.message);
}
