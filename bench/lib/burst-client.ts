/**
 * The connection-burst client (run pinned to the load core by connect-burst.ts): opens COUNT
 * connections to 127.0.0.1:PORT in one synchronous loop (every SYN leaves within milliseconds),
 * sends one `Connection: close` request on each as soon as it connects, and records when the
 * first response byte arrives. A connection only gets an answer once the proxy accepted it, so
 * the last answer is when the proxy had accepted the whole burst; SYNs dropped by a full accept
 * queue show up as answers a SYN retry (1 s, 3 s, ...) later. Prints one JSON line.
 *
 *   node bench/lib/burst-client.ts PORT COUNT HOST PATH
 */
import { connect } from 'node:net';

const [port, count, host, path] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4] ?? 'bench.local', process.argv[5] ?? '/'];
const request = `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;
const answeredMs: number[] = [];
let errors = 0;
let pending = count;
const started = performance.now();
const timer = setTimeout(() => finish(), 30_000);

function finish(): void {
  clearTimeout(timer);
  answeredMs.sort((a, b) => a - b);
  const at = (q: number) => answeredMs[Math.min(answeredMs.length - 1, Math.floor(q * answeredMs.length))] ?? NaN;
  process.stdout.write(`${JSON.stringify({ count, answered: answeredMs.length, errors: errors + pending, allMs: at(1), p50Ms: at(0.5), p99Ms: at(0.99) })}\n`);
  process.exit(0);
}

function settle(): void {
  if (--pending === 0) finish();
}

for (let i = 0; i < count; i++) {
  const socket = connect(port, '127.0.0.1');
  let done = false;
  socket.once('connect', () => socket.write(request));
  socket.once('data', (d: Buffer) => {
    if (done) return;
    done = true;
    if (d.toString('latin1', 0, 12) === 'HTTP/1.1 200') answeredMs.push(performance.now() - started);
    else errors++;
    socket.destroy();
    settle();
  });
  socket.once('error', () => {
    if (done) return;
    done = true;
    errors++;
    settle();
  });
}
