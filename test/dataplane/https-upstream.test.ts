import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RawClient, backendOf, closeAll, onCleanup, policy, prefixRoute, startDataplane, tableFor } from './helpers.ts';

afterEach(closeAll);

// Self-signed test-only pair for `backend.test` / 127.0.0.1, valid until 2126.
const CERT = `
-----BEGIN CERTIFICATE-----
MIIBpTCCAUqgAwIBAgIUPH+qQP7sj7p0LG7nL2mHj+R4OQAwCgYIKoZIzj0EAwIw
FzEVMBMGA1UEAwwMYmFja2VuZC50ZXN0MCAXDTI2MTEyMzEzNTYwMVoYDzIxMjYx
MDMwMTM1NjAxWjAXMRUwEwYDVQQDDAxiYWNrZW5kLnRlc3QwWTATBgcqhkjOPQIB
BggqhkjOPQMBBwNCAAQK5Evj1MZ8qk+CHM33niZixjY1AOkqgmf09glacNQWerm7
NB7EZ7O0W20Lhf3dxbbyyST4lo5icQlOiQgX5Q6Ko3IwcDAdBgNVHQ4EFgQUIezO
L3QBrz0iXRriDRmJgGbcE9cwHwYDVR0jBBgwFoAUIezOL3QBrz0iXRriDRmJgGbc
E9cwDwYDVR0TAQH/BAUwAwEB/zAdBgNVHREEFjAUggxiYWNrZW5kLnRlc3SHBH8A
AAEwCgYIKoZIzj0EAwIDSQAwRgIhAITT21O/rsto/f563CZ6eXyB+sHs0zfGDbgq
AohzF2GuAiEAj2NupjrycY92tXQ1O6Xau/JOjTDrYH7Q2YUy7ySg35U=
-----END CERTIFICATE-----
`.trim();
const KEY = `
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQggd1QMjbID/XSSDMH
7vw/mAzHVWkiR2Cwwby5L24bfbuhRANCAAQK5Evj1MZ8qk+CHM33niZixjY1AOkq
gmf09glacNQWerm7NB7EZ7O0W20Lhf3dxbbyyST4lo5icQlOiQgX5Q6K
-----END PRIVATE KEY-----
`.trim();

async function startHttpsBackend() {
  let sni: string | undefined;
  const server = createServer({ cert: CERT, key: KEY }, (req, res) => {
    sni = (req.socket as { servername?: string }).servername;
    res.end(`tls ${req.url}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return { host: '127.0.0.1', port: (server.address() as AddressInfo).port, sni: () => sni, server };
}

describe('HTTPS upstreams', () => {
  const cases = [
    { name: 'verified against the policy CA, with SNI', tls: { caPem: CERT, serverName: 'backend.test', verify: true }, status: 200 },
    { name: 'unverified when verify is false', tls: { verify: false }, status: 200 },
    { name: 'refused (502) when the certificate cannot be verified', tls: { verify: true }, status: 502 },
  ];
  it.each(cases)('$name', async ({ tls, status }) => {
    const backend = await startHttpsBackend();
    const p = policy({ protocol: 'HTTPS', tls, retries: { attempts: 0, on: [], nonIdempotent: false } });
    const { port } = await startDataplane(tableFor('foo.com', [backendOf('tls', [backend], p)]));
    const client = await RawClient.open(port);
    const res = await client.get('foo.com', '/secure');
    expect(res.status).toBe(status);
    if (status === 200) expect(res.body).toBe('tls /secure');
    if (tls.serverName) expect(backend.sni()).toBe('backend.test');
  });
});

describe('HTTPS upstream connections', () => {
  it('keep one connection across different client Host headers', async () => {
    const backend = await startHttpsBackend();
    let connections = 0;
    backend.server.on('secureConnection', () => connections++);
    const p = policy({ protocol: 'HTTPS', tls: { verify: false } });
    const table = { virtualHosts: [{ host: '', routes: [prefixRoute('/', 'tls')] }], backends: [backendOf('tls', [backend], p)] };
    const { port } = await startDataplane(table);
    const client = await RawClient.open(port);
    for (const host of ['a.com', 'b.com', 'c.com', 'a.com']) expect((await client.get(host)).status).toBe(200);
    expect(connections).toBe(1);
  });
});
