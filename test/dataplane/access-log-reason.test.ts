import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { backendOf, closeAll, deadPort, policy, prefixRoute, startDataplane, tableFor } from './helpers.ts';

function get(port: number, host: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    }).on('error', reject).end();
  });
}

/* The access line says why Pier answered an error itself (issue: a 502 with no reason is a
 * support ticket). */
describe('access log: the reason for Pier\'s own error answers', () => {
  afterEach(closeAll);

  it('no route, no endpoint, connection refused', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) };
    const noRetry = policy({ retries: { attempts: 0, on: [], nonIdempotent: false } });
    const table = tableFor('log.test', [backendOf('refusing', [{ host: '127.0.0.1', port: await deadPort() }], noRetry), backendOf('empty', [], noRetry, 'NoReadyEndpoints')],
      [prefixRoute('/refused', 'refusing'), prefixRoute('/empty', 'empty')]);
    const { port } = await startDataplane(table, { accessLog: sink });
    expect(await get(port, 'log.test', '/refused')).toBe(502);
    expect(await get(port, 'log.test', '/empty')).toBe(503);
    expect(await get(port, 'nothing.test', '/')).toBe(404);
    const access = lines.map((l) => [l.status, l.reason]);
    expect(access).toEqual([[502, 'connect'], [503, 'no-endpoint'], [404, 'no-route']]);
  });
});
