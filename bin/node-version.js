// Which Node.js majors Pier runs on: the ones its whole test suite runs on in CI (.ci/run: the
// pinned Node 24 devDependency, then Node 26 from .ci/node26). Plain JavaScript on purpose: it
// must load on any Node, to say clearly why an untested one is refused.

/** Majors the suite runs on. Keep in step with package.json `engines` (a test checks it). */
export const TESTED_NODE_MAJORS = [24, 26];

/** Set to 1 to start on an untested newer major anyway (trying a new Node release, at your risk). */
export const UNTESTED_NODE_ENV = 'PIER_UNTESTED_NODE';

/**
 * Why Pier will not start on Node `version` (`process.version`, `v24.21.0`), or undefined when it
 * will: a tested major, or a newer one with PIER_UNTESTED_NODE=1. Older majors are always refused
 * (before 24, type stripping and the internals Pier's HTTP/1.1 layer uses differ).
 */
export function nodeVersionProblem(version, env = {}) {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1]);
  if (TESTED_NODE_MAJORS.includes(major)) return undefined;
  const newer = major > Math.min(...TESTED_NODE_MAJORS);
  if (newer && env[UNTESTED_NODE_ENV] === '1') return undefined;
  return `pier: Node.js ${version} is not a version Pier is tested on (Node.js ${TESTED_NODE_MAJORS.join(' and ')}). `
    + `Install Node.js ${TESTED_NODE_MAJORS.join(' or ')}, or run Pier through npm (npm start / npx pier), `
    + 'which puts the bundled Node 24 first on PATH.'
    + (newer ? ` To try this version anyway, set ${UNTESTED_NODE_ENV}=1.` : '');
}
