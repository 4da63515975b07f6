import { describe, expect, it } from 'vitest';
import { parseCommandLine, type PierConfig } from '../../src/config.ts';
import { ConfigError, ManifestError, StartupError, SupervisorError } from '../../src/errors.ts';
import { explainStartupFailure } from '../../src/startup-failure.ts';

const config = (() => {
  const cli = parseCommandLine(['serve', '--bind-address', '127.0.0.1', '--http-port', '8080', '--https-port', '8443', '--health-port', '10254'], {});
  if (cli.command !== 'serve') throw new Error('expected serve');
  return cli.config;
})() satisfies PierConfig;

const errno = (code: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(code), { code, ...extra });

/** Each failure a start can meet → the one line after `pier: `, or undefined (a bug: stack trace). */
describe('explainStartupFailure', () => {
  it.each([
    { name: 'a worker cannot bind the HTTP port', err: new SupervisorError('PIER_ERR_WORKER_LISTEN', 'x', { listenCode: 'EADDRINUSE', port: 8080 }), line: '127.0.0.1:8080 (--http-port) is already in use (stop what listens there, or choose another port with --http-port)' },
    { name: 'a worker cannot bind the HTTPS port', err: new SupervisorError('PIER_ERR_WORKER_LISTEN', 'x', { listenCode: 'EADDRINUSE', port: 8443 }), line: '127.0.0.1:8443 (--https-port) is already in use (stop what listens there, or choose another port with --https-port)' },
    { name: 'a privileged port', err: errno('EACCES', { syscall: 'listen', port: 10254 }), line: 'no permission to listen on 127.0.0.1:10254 (--health-port) (use a port above 1023, or give the process CAP_NET_BIND_SERVICE)' },
    { name: 'an address of another machine', err: errno('EADDRNOTAVAIL', { syscall: 'listen', port: 10254 }), line: 'cannot listen on 127.0.0.1:10254 (--health-port): 127.0.0.1 is not an address of this machine (give --bind-address an address of this machine, or 0.0.0.0 for all)' },
    { name: 'an unreadable manifest directory', err: new ManifestError('cannot read manifest directory /m: EACCES', { cause: errno('EACCES') }), line: 'cannot read manifest directory /m: EACCES (check that Pier may read and list it)' },
    { name: 'no inotify watches left', err: new ManifestError('cannot watch manifest directory /m: ENOSPC', { cause: errno('ENOSPC') }), line: 'cannot watch manifest directory /m: ENOSPC (the system ran out of inotify watches: raise fs.inotify.max_user_watches)' },
    { name: 'a StartupError as it is', err: new StartupError('what', 'fix'), line: 'what (fix)' },
    { name: 'a ConfigError as it is', err: new ConfigError('bad'), line: 'bad' },
    { name: 'anything else is a bug', err: new TypeError('x is undefined'), line: undefined },
    { name: 'a worker that failed otherwise is a bug too', err: new SupervisorError('PIER_ERR_WORKER_START', 'exited'), line: undefined },
  ])('$name', ({ err, line }) => {
    expect(explainStartupFailure(err, config)?.message).toBe(line);
  });
});
