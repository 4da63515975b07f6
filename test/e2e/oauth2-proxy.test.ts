import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { request } from 'node:https';
import type { Socket } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate, tlsSecretYaml } from '../dataplane/tls-certificates.ts';
import { startPier, type PierProcess } from '../helpers/pier-process.ts';
import { ensureTool } from './access-helpers.ts';
import { INGRESS_CLASS_YAML, serviceYaml } from './manifests.ts';

/*
 * ingress-nginx's "External OAUTH Authentication" example, as written in its docs: one Ingress
 * for oauth2-proxy under /oauth2 on the application's host, and the application's Ingress with
 * `auth-url: https://$host/oauth2/auth` and `auth-signin: https://$host/oauth2/start?rd=$escaped_request_uri`.
 * The auth subrequest to `$host` reaches Pier's own HTTPS listener (the name does not resolve
 * here, as it often does not inside a cluster), and through it the oauth2-proxy stand-in.
 */

const OPENSSL_MISSING = ensureTool('openssl', 'openssl');
if (OPENSSL_MISSING !== undefined) console.warn(`oauth2-proxy e2e skipped: ${OPENSSL_MISSING}`);

const HOST = 'foo.bar.com';

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, servername: HOST, headers: { host: HOST, ...headers }, agent: false, rejectUnauthorized: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

describe.skipIf(OPENSSL_MISSING !== undefined)('oauth2-proxy set-up from ingress-nginx\'s docs, through pier serve', () => {
  let dir: string;
  let app: Server;
  let oauth2: Server;
  let pier: PierProcess;
  const appSeen: IncomingHttpHeaders[] = [];
  const authSeen: IncomingHttpHeaders[] = [];
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    app = createServer((req, res) => {
      appSeen.push(req.headers);
      res.end('dashboard\n');
    });
    // oauth2-proxy's endpoints as the example uses them: /oauth2/auth answers 202 for a signed-in
    // cookie (with X-Auth-Request-User) and 401 otherwise; /oauth2/start begins the sign-in.
    oauth2 = createServer((req, res) => {
      if (req.url?.startsWith('/oauth2/auth')) {
        authSeen.push(req.headers);
        if ((req.headers.cookie ?? '').includes('_oauth2_proxy=signed-in')) res.writeHead(202, { 'x-auth-request-user': 'octocat' }).end();
        else res.writeHead(401).end();
        return;
      }
      res.writeHead(302, { location: 'https://github.com/login/oauth/authorize' }).end();
    });
    for (const s of [app, oauth2]) {
      s.on('connection', (c: Socket) => sockets.add(c));
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    }
    const port = (s: Server) => (s.address() as { port: number }).port;
    dir = await mkdtemp(join(tmpdir(), 'pier-oauth2-'));
    await writeFile(join(dir, 'all.yaml'), [
      INGRESS_CLASS_YAML,
      serviceYaml('kubernetes-dashboard', [{ host: '127.0.0.1', port: port(app) }]),
      serviceYaml('oauth2-proxy', [{ host: '127.0.0.1', port: port(oauth2) }]),
      tlsSecretYaml('default', 'foo-tls', makeCertificate(HOST)),
      `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: external-auth-oauth2
  namespace: default
  annotations:
    nginx.ingress.kubernetes.io/auth-url: "https://$host/oauth2/auth"
    nginx.ingress.kubernetes.io/auth-signin: "https://$host/oauth2/start?rd=$escaped_request_uri"
    nginx.ingress.kubernetes.io/auth-response-headers: X-Auth-Request-User
spec:
  ingressClassName: pier
  tls: [{ hosts: [${HOST}], secretName: foo-tls }]
  rules:
  - host: ${HOST}
    http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: kubernetes-dashboard, port: { number: 80 } } } }] }
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: oauth2-proxy, namespace: default }
spec:
  ingressClassName: pier
  tls: [{ hosts: [${HOST}], secretName: foo-tls }]
  rules:
  - host: ${HOST}
    http: { paths: [{ path: /oauth2, pathType: Prefix, backend: { service: { name: oauth2-proxy, port: { number: 80 } } } }] }
`,
    ].join('---\n'));
    pier = await startPier(['--manifests', dir, '--workers', '1']);
  });

  afterAll(async () => {
    await pier?.stop();
    for (const s of sockets) s.destroy();
    await Promise.all([app, oauth2].map((s) => new Promise((r) => s?.close(r))));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('not signed in: 302 to oauth2-proxy\'s sign-in with rd=, the dashboard never reached', async () => {
    appSeen.length = 0;
    const answer = await get(pier.httpsPort, '/some/page?x=1');
    expect(answer.status).toBe(302);
    expect(answer.headers.location).toBe(`https://${HOST}/oauth2/start?rd=%2Fsome%2Fpage%3Fx%3D1`);
    expect(appSeen).toHaveLength(0);
    expect(authSeen.at(-1)).toMatchObject({ host: HOST, 'x-original-url': `https://${HOST}/some/page?x=1`, 'x-forwarded-proto': 'https' });
  });

  it('signed in: the dashboard answers, with the user from oauth2-proxy', async () => {
    const answer = await get(pier.httpsPort, '/', { cookie: '_oauth2_proxy=signed-in' });
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('dashboard\n');
    expect(appSeen.at(-1)!['x-auth-request-user']).toBe('octocat');
  });

  it('the sign-in route itself is not behind the auth', async () => {
    expect((await get(pier.httpsPort, '/oauth2/start?rd=%2F')).status).toBe(302);
  });
});
