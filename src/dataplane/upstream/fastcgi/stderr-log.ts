import { createLogger, type Logger } from '../../../observe/logger.ts';

/** Lines per window written at most; the rest are counted and reported with the next line. */
const MAX_LINES = 20;
const WINDOW_MS = 10_000;
/** One line's text is cut here (a script can write megabytes to stderr). */
const MAX_TEXT = 2_048;

/**
 * FCGI_STDERR to the log at warn, rate-limited per worker (a broken script writes a line per
 * request; the log must not become the bottleneck): at most MAX_LINES per WINDOW_MS, then one
 * line saying how many were suppressed. The logger is the process's once `setFastcgiLogger`
 * was called (the dataplane's), else a pino logger of the same format made on first use.
 */
export class StderrLog {
  #logger: Logger | undefined;
  #windowStart = 0;
  #lines = 0;
  #suppressed = 0;

  use(logger: Logger): void {
    this.#logger = logger;
  }

  write(upstream: string, text: Buffer, now = Date.now()): void {
    if (now - this.#windowStart >= WINDOW_MS) {
      this.#windowStart = now;
      this.#lines = 0;
    }
    if (this.#lines >= MAX_LINES) {
      this.#suppressed++;
      return;
    }
    this.#lines++;
    const suppressed = this.#suppressed;
    this.#suppressed = 0;
    const logger = (this.#logger ??= createLogger('info', { component: 'fastcgi' }));
    const message = text.toString('latin1', 0, Math.min(text.length, MAX_TEXT)).trimEnd();
    logger.warn({ upstream, ...(suppressed > 0 ? { suppressed } : {}) }, `FastCGI stderr: ${message}`);
  }
}

/** The worker's one StderrLog (a module singleton: pools are created by the protocol registry). */
export const STDERR_LOG = new StderrLog();

/** Sends FastCGI stderr lines to `logger` (the dataplane calls this once it has its logger). */
export function setFastcgiLogger(logger: Logger): void {
  STDERR_LOG.use(logger);
}
