import { isIPv6 } from 'node:net';
import type { PierConfig } from './config.ts';
import { ConfigError, ManifestError, StartupError, SupervisorError } from './errors.ts';

/**
 * Turns an error that stopped `pier serve` from starting into the one line the CLI prints
 * (`pier: <what> (<how to fix>)`, exit 2), or undefined for an error that is a bug in Pier
 * (printed with its stack, exit 1). Listen failures happen in the primary (health port) or in a
 * worker (HTTP/HTTPS ports, reported over IPC); both name the port, which names the flag.
 */
export function explainStartupFailure(err: unknown, config: PierConfig): ConfigError | StartupError | undefined {
  if (err instanceof StartupError || err instanceof ConfigError) return err;
  if (err instanceof SupervisorError && err.listen !== undefined) return listenFailure(err.listen.listenCode, err.listen.port, config, err);
  if (err instanceof ManifestError) return manifestFailure(err);
  const sys = err as NodeJS.ErrnoException & { port?: number };
  if (sys?.syscall === 'listen' && typeof sys.port === 'number') return listenFailure(sys.code ?? 'UNKNOWN', sys.port, config, err);
  return undefined;
}

/** The flag that chose `port` (several when they share it, e.g. 0). */
function flagOf(port: number, config: PierConfig): string {
  const flags = [['--http-port', config.httpPort], ['--https-port', config.httpsPort], ['--health-port', config.healthPort]] as const;
  const named = flags.filter(([, p]) => p === port).map(([f]) => f);
  return named.length > 0 ? named.join('/') : 'a port option';
}

function listenFailure(code: string, port: number, config: PierConfig, cause: unknown): StartupError {
  const flag = flagOf(port, config);
  const host = isIPv6(config.bindAddress) ? `[${config.bindAddress}]` : config.bindAddress;
  const where = `${host}:${port} (${flag})`;
  switch (code) {
    case 'EADDRINUSE':
      return new StartupError(`${where} is already in use`, `stop what listens there, or choose another port with ${flag.split('/')[0]}`, { cause });
    case 'EACCES':
      return new StartupError(`no permission to listen on ${where}`, `use a port above 1023, or give the process CAP_NET_BIND_SERVICE`, { cause });
    case 'EADDRNOTAVAIL':
      return new StartupError(`cannot listen on ${where}: ${config.bindAddress} is not an address of this machine`, 'give --bind-address an address of this machine, or 0.0.0.0 for all', { cause });
    default:
      return new StartupError(`cannot listen on ${where}: ${code}`, 'check --bind-address and the port', { cause });
  }
}

/** The manifest directory exists (resolveManifestPath checked) but cannot be watched or read. */
function manifestFailure(err: ManifestError): StartupError {
  const code = (err.cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC') return new StartupError(err.message, 'the system ran out of inotify watches: raise fs.inotify.max_user_watches', { cause: err });
  if (code === 'EMFILE') return new StartupError(err.message, 'too many open files: raise the limit (ulimit -n) or fs.inotify.max_user_instances', { cause: err });
  return new StartupError(err.message, 'check that Pier may read and list it', { cause: err });
}
