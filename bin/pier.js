#!/usr/bin/env node
// Entry point. Pier runs TypeScript sources directly with Node 24's type stripping: no build
// step, and the stack traces point at the files we wrote.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  console.error(`pier: Node.js 24 or newer is required (this is ${process.version}). ` +
    'Run it through npm (npm start / npx pier), which puts the bundled Node 24 first on PATH.');
  process.exit(2);
}
await import('../src/main.ts');
