import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { Route } from '../../src/routing/route-table.ts';
import { backendOf, closeAll, deadPort, policy, startBackend, startDataplane, tableFor } from './helpers.ts';

/*
 * custom-http-errors on Pier's own answers: a 502 (the upstream refused the connection) or a 503
 * (no endpoint) is handed to the error backend, whose answer the client gets; an error backend
 * that cannot answer leaves Pier's own status.
 */
function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers: { host: 'err.test' } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    }).on('error', reject).end();
  });
}

describe('error pages (custom-http-errors) for answers Pier produces itself', () => {
  afterEach(closeAll);

  async function setup(codes: number[], errorBackendUp = true) {
    const errors = await startBackend('errors', (req, res) => {
      res.writeHead(418, { 'content-type': 'text/plain' });
      res.end(`page for ${req.headers['x-code']} of ${req.headers['x-original-uri']}`);
    });
    const dead = await deadPort();
    const noRetry = policy({ retries: { attempts: 0, on: [], nonIdempotent: false } });
    const route = (path: string, backend: string): Route => ({
      path, pathType: 'Prefix', backend, origin: 'default/web',
      policies: [{ kind: 'error-pages', codes, backend: 'errors', namespace: 'default', ingress: 'web', service: 'svc', servicePort: '80' }],
    });
    const table = tableFor('err.test', [
      backendOf('refusing', [{ host: '127.0.0.1', port: dead }], noRetry),
      backendOf('empty', [], noRetry, 'NoReadyEndpoints'),
      errorBackendUp ? backendOf('errors', [{ host: errors.host, port: errors.port }]) : backendOf('errors', [], noRetry, 'NoReadyEndpoints'),
    ], [route('/refused', 'refusing'), route('/empty', 'empty')]);
    return startDataplane(table);
  }

  it('a 502 and a 503 go to the error backend, which answers with its own status', async () => {
    const dp = await setup([502, 503]);
    expect(await get(dp.port, '/refused/x?y=1')).toEqual({ status: 418, body: 'page for 502 of /refused/x?y=1' });
    expect(await get(dp.port, '/empty')).toEqual({ status: 418, body: 'page for 503 of /empty' });
  });

  it('codes not listed, or an error backend without endpoints: Pier\'s own answer', async () => {
    expect((await get((await setup([404])).port, '/refused')).status).toBe(502);
    await closeAll();
    expect((await get((await setup([502], false)).port, '/refused')).status).toBe(502);
  });
});
