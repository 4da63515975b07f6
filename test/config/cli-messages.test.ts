import { describe, expect, it } from 'vitest';
import { helpText, parseCommandLine } from '../../src/config.ts';
import { serve } from './serve-config.ts';
import { ConfigError } from '../../src/errors.ts';

/** The exact one-line message a bad command line gets (the CLI prints `pier: ` + it, exit 2). */
function messageOf(args: readonly string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    parseCommandLine(args, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('command line messages', () => {
  it.each([
    { args: ['serve', '--keepalive-timeout', '-5s'], message: 'invalid value for --keepalive-timeout: "-5s" (expected a duration of 0 or more, such as 500ms, 30s or 5m)' },
    { args: ['serve', '--http-port', '-1'], message: 'invalid value for --http-port: "-1" (expected a port number 0-65535)' },
    { args: ['serve', '--manifests', '--workers', '2'], message: "--manifests needs a value (see 'pier --help')" },
    { args: ['serve', '--manifests'], message: "--manifests needs a value (see 'pier --help')" },
    { args: ['serve', '--enable-ssl-passthrough'], message: "unknown option '--enable-ssl-passthrough' (see 'pier --help'; MIGRATING.md maps ingress-nginx's flags to Pier's)" },
    { args: ['serve', '--watch-ingress-without-class=yes'], message: '--watch-ingress-without-class takes no value (give it alone to turn it on; leave it out for off)' },
    { args: ['serve', '--access-log=yes'], message: 'invalid value for --access-log: "yes" (expected stdout, off, or an absolute file path)' },
    { args: ['serve', '--access-log', 'logs/access.log'], message: 'invalid value for --access-log: "logs/access.log" (expected stdout, off, or an absolute file path)' },
    { args: ['serve', '--bind-address', '999.1.1.1'], message: 'invalid value for --bind-address: "999.1.1.1" (expected an IPv4 or IPv6 address of this machine, such as 0.0.0.0, 127.0.0.1 or ::)' },
    { args: ['serve', '--default-ssl-certificate', 'just-a-name'], message: 'invalid value for --default-ssl-certificate: "just-a-name" (expected NAMESPACE/NAME)' },
    { args: ['serve', 'extra'], message: "unexpected argument 'extra' (see 'pier --help')" },
  ])('$args.1 $args.2 → $message', ({ args, message }) => {
    expect(messageOf(args)).toBe(message);
  });

  it('a value from PIER_* is refused naming the variable and the flag', () => {
    expect(messageOf(['serve'], { PIER_HTTP_PORT: 'abc' })).toBe('invalid value for PIER_HTTP_PORT (--http-port): "abc" (expected a port number 0-65535)');
    expect(messageOf(['serve'], { PIER_KEEPALIVE_TIMEOUT: 'soon' })).toBe('invalid value for PIER_KEEPALIVE_TIMEOUT (--keepalive-timeout): "soon" (expected a duration such as 500ms, 30s or 5m)');
    expect(messageOf(['serve'], { PIER_ACCESS_LOG: 'maybe' })).toBe('invalid value for PIER_ACCESS_LOG (--access-log): "maybe" (expected stdout, off, or an absolute file path)');
    // The flag wins over the environment, and then the error names the flag alone.
    expect(messageOf(['serve', '--http-port', 'x'], { PIER_HTTP_PORT: '80' })).toBe('invalid value for --http-port: "x" (expected a port number 0-65535)');
  });

  it('-h, --help, help and no command show help; --version and version print the version', () => {
    for (const args of [['-h'], ['--help'], ['help'], [], ['serve', '-h']]) expect(parseCommandLine(args, {}).command).toBe('help');
    for (const args of [['--version'], ['version']]) expect(parseCommandLine(args, {}).command).toBe('version');
  });

  it('--help says "number of CPUs" for --workers, not this machine\'s count, and lists -h and --version', () => {
    const help = helpText();
    expect(help).toMatch(/--workers N .*\[default: number of CPUs\]/);
    expect(help).toMatch(/^ {2}-h, --help /m);
    expect(help).toMatch(/^ {2}--version /m);
  });

  it('--workers defaults to the CPU count at parse time', () => {
    expect(serve([]).workers).toBeGreaterThanOrEqual(1);
    expect(serve(['--workers', '3']).workers).toBe(3);
  });

  it('--default-ssl-certificate and --default-backend-service take NAMESPACE/NAME, from flags or PIER_*', () => {
    expect(serve(['--default-ssl-certificate', 'ingress/wildcard-tls', '--default-backend-service=ingress/fallback'])).toMatchObject({
      defaultSslCertificate: { namespace: 'ingress', name: 'wildcard-tls' },
      defaultBackendService: { namespace: 'ingress', name: 'fallback' },
    });
    expect(serve([], { PIER_DEFAULT_BACKEND_SERVICE: 'a/b' }).defaultBackendService).toEqual({ namespace: 'a', name: 'b' });
    expect(serve([])).toMatchObject({ defaultSslCertificate: undefined, defaultBackendService: undefined });
  });

  it('--bind-address takes IPv4 and IPv6 addresses', () => {
    expect(serve(['--bind-address', '::']).bindAddress).toBe('::');
    expect(serve(['--bind-address', '127.0.0.1']).bindAddress).toBe('127.0.0.1');
  });
});
