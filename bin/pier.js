#!/usr/bin/env node
// Entry point. Pier runs TypeScript sources directly with Node's type stripping: no build step,
// and the stack traces point at the files we wrote. Only Node majors the test suite runs on are
// accepted (bin/node-version.js).
//
// Started by an older Node (`pier` on PATH after `npm link`, with the system's Node 20), it
// runs itself again with the Node 24 that `npm ci` installed next to it (node_modules/.bin/node,
// from the platform's node-* package), so every command in the README works as written.
// This file must stay plain JavaScript that old Node versions can parse.
import { spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import nodeModule from 'node:module';
import { fileURLToPath } from 'node:url';
import { missingNodeFlags } from './node-flags.js';
import { nodeVersionProblem, TESTED_NODE_MAJORS } from './node-version.js';

const [major] = process.versions.node.split('.').map(Number);
const bundled = fileURLToPath(new URL('../node_modules/.bin/node', import.meta.url));

if (major < Math.min(...TESTED_NODE_MAJORS) && existsSync(bundled) && realpathSync(bundled) !== realpathSync(process.execPath)) {
  const child = spawn(bundled, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  // The child is the real Pier: it gets the signals meant for it (drain on SIGTERM, SIGHUP).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal !== null) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
} else {
  const problem = nodeVersionProblem(process.version, process.env);
  if (problem !== undefined) {
    console.error(problem);
    process.exit(2);
  }
  // `pier serve` runs with Pier's V8 flags (bin/node-flags.js). Node reads them only at start,
  // so when they are missing this process becomes `node FLAGS bin/pier.js ...` with execve: the
  // same process (pid, signals, stdio), nothing left behind. Workers inherit the flags.
  const missing = process.argv.includes('serve') ? missingNodeFlags(process.execArgv, process.env.NODE_OPTIONS) : [];
  if (missing.length > 0 && typeof process.execve === 'function') {
    try {
      process.execve(process.execPath, [process.execPath, ...missing, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], process.env);
    } catch (err) {
      // Only memory is at stake: start without the flags, and say why.
      console.error(`pier: starting without ${missing.join(' ')} (re-executing Node failed: ${err.message})`);
    }
  }
  // Node's compile cache (in the temporary directory) keeps each module's stripped and compiled
  // code: the workers, forked after the primary has loaded the same files, and any restart
  // load Pier without running the TypeScript stripper, ~20 MiB less per process. The workers
  // inherit it through NODE_COMPILE_CACHE; NODE_DISABLE_COMPILE_CACHE=1 turns it off.
  const cache = nodeModule.enableCompileCache?.();
  if (cache?.directory !== undefined && !process.env.NODE_COMPILE_CACHE) process.env.NODE_COMPILE_CACHE = cache.directory;
  await import('../src/main.ts');
}
