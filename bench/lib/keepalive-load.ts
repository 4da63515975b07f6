/**
 * Background keepalive traffic for the control-plane benchmark: `connections` clients, each one
 * keepalive connection sending requests back to back to one route until stopped (or `maxMs`),
 * counting answers that are not 200 and connection errors. What "no request fails during a
 * configuration change" means, measured while edits are served.
 */
import { Agent, request } from 'node:http';

export interface KeepaliveLoad {
  /** Stops the clients; resolves with what they saw. */
  stop(): Promise<{ readonly requests: number; readonly failed: number; readonly failures: readonly string[] }>;
}

export function startKeepaliveLoad(port: number, host: string, path: string, connections: number, maxMs: number): KeepaliveLoad {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const deadline = Date.now() + maxMs;
  let stopped = false;
  let requests = 0;
  const failures: string[] = [];
  const one = () => new Promise<void>((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host }, agent }, (res) => {
      res.resume();
      res.on('end', () => {
        requests++;
        if (res.statusCode !== 200) failures.push(`status ${res.statusCode}`);
        resolve();
      });
    });
    req.on('error', (err) => {
      requests++;
      failures.push(err.message);
      resolve();
    });
    req.end();
  });
  const loops = Array.from({ length: connections }, async () => {
    while (!stopped && Date.now() < deadline) await one();
  });
  return {
    async stop() {
      stopped = true;
      await Promise.all(loops);
      agent.destroy();
      return { requests, failed: failures.length, failures: [...new Set(failures)].slice(0, 5) };
    },
  };
}
