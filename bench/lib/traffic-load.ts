/**
 * Load for the traffic benchmark's rate-limit accuracy: requests paced at a fixed rate from one
 * client address, over one keepalive connection or spread over many.
 */
import { Client } from 'undici';

export interface PacedResult {
  readonly sent: number;
  readonly admitted: number;
  readonly refused: number;
  readonly other: number;
  readonly seconds: number;
}

/**
 * `perSecond` GETs for `seconds` (bounded: at most perSecond × seconds requests, and every
 * request times out after 5 s) from `clientAddress`, round-robin over `connections` keepalive
 * connections; 200 = admitted, `refusedStatus` = refused.
 */
export async function pacedLoad(port: number, host: string, clientAddress: string, perSecond: number, seconds: number, connections: number, refusedStatus = 503): Promise<PacedResult> {
  const clients = Array.from({ length: connections }, () => new Client(`http://127.0.0.1:${port}`, { localAddress: clientAddress, pipelining: 1, headersTimeout: 5_000, bodyTimeout: 5_000 }));
  const total = Math.round(perSecond * seconds);
  let admitted = 0;
  let refused = 0;
  let other = 0;
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = started + (i * 1000) / perSecond - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(clients[i % connections]!.request({ method: 'GET', path: '/', headers: { host } }).then(async (res) => {
      await res.body.dump();
      if (res.statusCode === 200) admitted++;
      else if (res.statusCode === refusedStatus) refused++;
      else other++;
    }, () => {
      other++;
    }));
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - started) / 1000;
  await Promise.all(clients.map((c) => c.close()));
  return { sent: total, admitted, refused, other, seconds: elapsed };
}
