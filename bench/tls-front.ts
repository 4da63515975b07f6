/**
 * What the HTTPS listener's TCP front costs per connection (tls-listener.ts): a tls.Server
 * listening itself against a net.Server that hands each socket to it (`emit('connection')`),
 * which is what every HTTPS connection goes through since hosts may have ciphers of their own
 * (results/tls-front-ab.md). Sequential TLS 1.3 handshakes from node:tls clients in this
 * process, alternating the two within each round; prints ms per handshake.
 *
 *   node bench/tls-front.ts [rounds=12] [handshakes=300]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer } from 'node:tls';

const rounds = Number(process.argv[2] ?? 12);
const handshakes = Number(process.argv[3] ?? 300);
const dir = mkdtempSync(join(tmpdir(), 'tls-front-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=a.test', '-keyout', join(dir, 'k'), '-out', join(dir, 'c')], { stdio: 'ignore' });
const cert = readFileSync(join(dir, 'c'));
const key = readFileSync(join(dir, 'k'));
rmSync(dir, { recursive: true, force: true });

async function msPerHandshake(front: boolean): Promise<number> {
  const tls = createServer({ cert, key, allowHalfOpen: true });
  tls.on('secureConnection', (socket) => socket.end());
  const listener: NetServer = front ? createNetServer({ allowHalfOpen: true, noDelay: true }, (raw) => tls.emit('connection', raw)) : tls;
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const port = (listener.address() as AddressInfo).port;
  const started = performance.now();
  for (let i = 0; i < handshakes; i++) {
    await new Promise<void>((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1', servername: 'a.test', rejectUnauthorized: false }, () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', reject);
    });
  }
  const ms = (performance.now() - started) / handshakes;
  listener.close();
  return ms;
}

const runs: Record<'direct' | 'front', number[]> = { direct: [], front: [] };
for (let round = 0; round < rounds; round++) {
  for (const front of round % 2 === 0 ? [true, false] : [false, true]) runs[front ? 'front' : 'direct'].push(await msPerHandshake(front));
}
const median = (list: number[]) => [...list].sort((a, b) => a - b)[list.length >> 1]!;
for (const [name, list] of Object.entries(runs)) {
  console.log(`${name.padEnd(6)} median ${median(list).toFixed(3)} ms, best ${Math.min(...list).toFixed(3)} ms per handshake (${rounds} runs x ${handshakes})`);
}
