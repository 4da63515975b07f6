/**
 * Every error Pier raises on purpose, with a stable code (as undici's UND_ERR_* codes):
 * callers and tests match on `code`, never on message text.
 */
export class PierError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PierError';
    this.code = code;
  }
}

/** A bad flag or environment value; the CLI prints the message and exits with 2. */
export class ConfigError extends PierError {
  constructor(message: string) {
    super('PIER_ERR_CONFIG', message);
    this.name = 'ConfigError';
  }
}

/** A manifest file that could not be read or parsed. */
export class ManifestError extends PierError {
  constructor(message: string, options?: ErrorOptions) {
    super('PIER_ERR_MANIFEST', message, options);
    this.name = 'ManifestError';
  }
}

/** A Kubernetes API interaction that failed (list, watch, status write, lease). */
export class KubeApiError extends PierError {
  constructor(message: string, options?: ErrorOptions) {
    super('PIER_ERR_KUBE_API', message, options);
    this.name = 'KubeApiError';
  }
}

/** Codes of SupervisorError. */
export type SupervisorErrorCode = 'PIER_ERR_SUPERVISOR_OPTIONS' | 'PIER_ERR_SUPERVISOR_STATE' | 'PIER_ERR_WORKER_START' | 'PIER_ERR_WORKER_LISTEN';

/** What a worker's failed listen said: the system error code (EADDRINUSE, …) and the port. */
export interface ListenFailure {
  readonly listenCode: string;
  readonly port: number;
}

/** The dataplane workers could not be started (e.g. the port is taken), or the supervisor was misused. */
export class SupervisorError extends PierError {
  /** Set for PIER_ERR_WORKER_LISTEN. */
  readonly listen: ListenFailure | undefined;
  constructor(code: SupervisorErrorCode, message: string, listen?: ListenFailure) {
    super(code, message);
    this.name = 'SupervisorError';
    this.listen = listen;
  }
}

/**
 * Pier cannot start: a manifest path that does not exist, a port in use, no cluster to talk to.
 * The CLI prints `pier: <what> (<how to fix>)` and exits with 2, as for a bad flag.
 */
export class StartupError extends PierError {
  readonly what: string;
  readonly fix: string;
  constructor(what: string, fix: string, options?: ErrorOptions) {
    super('PIER_ERR_STARTUP', `${what} (${fix})`, options);
    this.name = 'StartupError';
    this.what = what;
    this.fix = fix;
  }
}
