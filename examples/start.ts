/**
 * `npm start`: the bundled example, no cluster needed. Starts the two example backends the
 * manifests in examples/basic point at (127.0.0.1:9001 "web", 127.0.0.1:9002 "api"), then runs
 * `pier serve --manifests examples/basic` in the foreground. Extra arguments go to pier
 * (e.g. `npm start -- --http-port 9080`). Ctrl-C (SIGINT) or SIGTERM stops both.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';

function backend(name: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    let size = 0;
    req.on('data', (chunk: Buffer) => (size += chunk.length));
    req.on('end', () => {
      const body = JSON.stringify({ backend: name, method: req.method, url: req.url, headers: req.headers, bodyBytes: size }, null, 2);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) + 1 });
      res.end(body + '\n');
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const backends = await Promise.all([backend('web', 9001), backend('api', 9002)]);
console.log('example backends: web on 127.0.0.1:9001, api on 127.0.0.1:9002');
console.log("try: curl -H 'Host: demo.localhost' localhost:8080/api/hello");

const pierBin = fileURLToPath(new URL('../bin/pier.js', import.meta.url));
const manifests = fileURLToPath(new URL('./basic', import.meta.url));
const pier = spawn(process.execPath, [pierBin, 'serve', '--manifests', manifests, ...process.argv.slice(2)], { stdio: 'inherit' });

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => pier.kill(signal));
pier.on('exit', (code, signal) => {
  for (const s of backends) s.close();
  process.exitCode = code ?? (signal ? 1 : 0);
});
