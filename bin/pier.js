#!/usr/bin/env node
// Entry point. Pier runs TypeScript sources directly with Node's type stripping: no build step,
// and the stack traces point at the files we wrote. Only Node majors the test suite runs on are
// accepted (bin/node-version.js).
import { nodeVersionProblem } from './node-version.js';

const problem = nodeVersionProblem(process.version, process.env);
if (problem !== undefined) {
  console.error(problem);
  process.exit(2);
}
await import('../src/main.ts');
