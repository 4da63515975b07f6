import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEchoBackend, type EchoBackend } from '../helpers/echo-backend.ts';
import { startPier, waitFor } from '../helpers/pier-process.ts';
import { ingressYaml, serviceYaml } from './manifests.ts';

const EXAMPLES = fileURLToPath(new URL('../../examples/basic', import.meta.url));

/** Runs `pier serve ARGS` to its end; its exit code, its last stderr/stdout line, all output. */
async function failedStart(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; last: string; output: string }> {
  const pier = await startPier(['--workers', '1', ...args], { waitReady: false, env });
  const timer = setTimeout(() => void pier.stop('SIGKILL'), 20_000);
  const code = await pier.exited;
  clearTimeout(timer);
  const lines = pier.output().trim().split('\n');
  return { code, last: lines.at(-1)!, output: pier.output() };
}

/** Holds `port` on 127.0.0.1 for the test, as another program would. */
function occupy(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const portOf = (server: Server) => (server.address() as { port: number }).port;

/**
 * The README's promise for a start that cannot succeed: one line `pier: <what> (<how to fix>)`
 * and exit code 2, never a stack trace. One case per failure a newcomer meets first.
 */
describe('start-up failures: one line and exit code 2', () => {
  let taken: Server;
  let home: string;

  beforeAll(async () => {
    taken = await occupy();
    home = await mkdtemp(join(tmpdir(), 'pier-home-'));
  });
  afterAll(async () => {
    await new Promise((r) => taken.close(r));
    await rm(home, { recursive: true, force: true });
  });

  const cases: { name: string; args: () => string[]; env?: () => NodeJS.ProcessEnv; line: RegExp | ((takenPort: number) => RegExp) }[] = [
    {
      name: '--manifests names a path that does not exist',
      args: () => ['--manifests', '/nonexistent'],
      line: /^pier: --manifests \/nonexistent does not exist \(give a directory or a file of Kubernetes YAML, e\.g\. --manifests examples\/basic/,
    },
    {
      name: 'the HTTP port is in use',
      args: () => ['--manifests', EXAMPLES, '--http-port', String(portOf(taken))],
      line: (port) => new RegExp(`^pier: 127\\.0\\.0\\.1:${port} \\(--http-port\\) is already in use \\(stop what listens there, or choose another port with --http-port\\)$`),
    },
    {
      name: 'the health port is in use',
      args: () => ['--manifests', EXAMPLES, '--health-port', String(portOf(taken))],
      line: (port) => new RegExp(`^pier: 127\\.0\\.0\\.1:${port} \\(--health-port\\) is already in use \\(.*--health-port\\)$`),
    },
    {
      name: '--bind-address is not an IP address',
      args: () => ['--manifests', EXAMPLES, '--bind-address', '999.1.1.1'],
      line: /^pier: invalid value for --bind-address: "999\.1\.1\.1" \(expected an IPv4 or IPv6 address of this machine, such as 0\.0\.0\.0, 127\.0\.0\.1 or ::\)$/,
    },
    {
      name: '--bind-address is not an address of this machine',
      args: () => ['--manifests', EXAMPLES, '--bind-address', '192.0.2.1'],
      line: /^pier: cannot listen on 192\.0\.2\.1:\d+ \(--health-port\): 192\.0\.2\.1 is not an address of this machine \(give --bind-address an address of this machine, or 0\.0\.0\.0 for all\)$/,
    },
    {
      name: 'no kubeconfig and not in a cluster',
      args: () => [],
      env: () => ({ HOME: home, KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '', KUBERNETES_SERVICE_PORT: '' }),
      line: /^pier: no Kubernetes configuration: not running in a pod, and no kubeconfig in KUBECONFIG or ~\/\.kube\/config \(point KUBECONFIG at a kubeconfig file, or run without a cluster with --manifests DIR\)$/,
    },
    {
      name: '--access-log names a file in a directory that does not exist',
      args: () => ['--manifests', EXAMPLES, '--access-log', '/nonexistent/pier/access.log'],
      line: /^pier: cannot open --access-log \/nonexistent\/pier\/access\.log: ENOENT \(give a file in an existing, writable directory, or stdout\)$/,
    },
    {
      name: 'a negative duration',
      args: () => ['--keepalive-timeout', '-5s'],
      line: /^pier: invalid value for --keepalive-timeout: "-5s" \(expected a duration of 0 or more, such as 500ms, 30s or 5m\)$/,
    },
    {
      name: 'an ingress-nginx ConfigMap value Pier refuses (a read timeout of 0)',
      args: () => ['--manifests', EXAMPLES, '--proxy-read-timeout', '0'],
      line: /^pier: invalid value for --proxy-read-timeout: "0" \(expected more than 0\)$/,
    },
    {
      name: 'an ingress-nginx ConfigMap list with an entry its annotation refuses',
      args: () => ['--manifests', EXAMPLES, '--whitelist-source-range', '10.0.0.0/8,office'],
      line: /^pier: invalid value for --whitelist-source-range: "10\.0\.0\.0\/8,office" has "office", which is not an IP address or CIDR range/,
    },
    {
      name: 'a malformed --watch-namespace-selector',
      args: () => ['--manifests', EXAMPLES, '--watch-namespace-selector', 'env in (prod'],
      line: /^pier: invalid value for --watch-namespace-selector: "env in \(prod" \(expected a label selector such as team=a,env in \(prod,staging\),!legacy; found the end, expected ',' or '\)'\)$/,
    },
  ];

  it.each(cases)('$name', async ({ args, env, line }) => {
    const { code, last, output } = await failedStart(args(), env?.());
    expect(last).toMatch(typeof line === 'function' ? line(portOf(taken)) : line);
    expect(code).toBe(2);
    expect(output).not.toMatch(/^\s+at /m);
  });
});

/** `kubectl apply -f file.yaml` habits: --manifests takes one file, and watches it. */
describe('pier serve --manifests FILE', () => {
  let dir: string;
  let web: EchoBackend;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pier-file-'));
    web = await startEchoBackend('web', '127.0.0.2');
  });
  afterAll(async () => {
    await web.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the objects of that file only, and follows its edits', async () => {
    const file = join(dir, 'app.yaml');
    await writeFile(file, `${serviceYaml('web', [{ host: web.host, port: web.port }])}---\n${ingressYaml('app', 'app.example', [{ path: '/', service: 'web' }])}`);
    // A sibling file that a directory would include: a file argument leaves it out.
    await writeFile(join(dir, 'other.yaml'), ingressYaml('other', 'other.example', [{ path: '/', service: 'web' }]));
    const pier = await startPier(['--workers', '1', '--manifests', file]);
    try {
      const status = async (host: string) => {
        const res = await request(`http://127.0.0.1:${pier.httpPort}/`, { headers: { host } });
        await res.body.dump();
        return res.statusCode;
      };
      expect(await status('app.example')).toBe(200);
      expect(await status('other.example')).toBe(404);
      await writeFile(file, `${serviceYaml('web', [{ host: web.host, port: web.port }])}---\n${ingressYaml('app', 'renamed.example', [{ path: '/', service: 'web' }])}`);
      await waitFor(async () => (await status('renamed.example')) === 200, 10_000, 'the edited host to be served');
      expect(await status('app.example')).toBe(404);
    } finally {
      await pier.stop();
    }
  });
});
