/**
 * Pier's shared cache scored by the HTTP cache conformance suite of cache-tests.fyi
 * (github.com/http-tests/cache-tests), next to the results that suite publishes for nginx,
 * Squid, Varnish, Apache httpd, Traffic Server, Caddy and HAProxy.
 *
 * Runs the suite's own origin server (`npm run server`) and its command-line client (`npm run
 * cli --base=…`) against `pier serve --manifests` with 2 workers and one Ingress with
 * `pier.dev/cache: "on"` routing everything to that origin, as the suite's docker set-up puts
 * nginx (`proxy_cache` + `proxy_cache_revalidate on`) in front of it; then once more with the
 * two opt-in annotations the suite has tests for: `pier.dev/cache-use-stale: "error timeout"`
 * (nginx's proxy_cache_use_stale, off by default in both; the "serve stale when the origin is
 * gone" tests) and `pier.dev/cache-targeted-fields: "CDN-Cache-Control"` (RFC 9213). Then counts, per section
 * of the suite, the passes of each kind of test with the suite's own result logic
 * (test-engine/lib/results.mjs, dependencies honoured as on cache-tests.fyi).
 *
 * Run: node bench/cache-conformance.ts --suite DIR [--out bench/results/cache-conformance.md]
 *   --suite DIR: a checkout of http-tests/cache-tests with `npm i --omit=dev` done in it.
 *   --id TEST: runs one test and prints the suite's trace of it (debugging).
 * Writes the report and Pier's raw results (cache-conformance-pier.json, the suite's format).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { INGRESS_CLASS_YAML, serviceYaml } from '../test/e2e/manifests.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { startPier } from './lib/pier.ts';
import { startPinned, waitForHttp, type PinnedProcess } from './lib/pinned-process.ts';

const { values } = parseArgs({ options: { suite: { type: 'string' }, out: { type: 'string', default: 'bench/results/cache-conformance.md' }, id: { type: 'string' } } });
if (values.suite === undefined) {
  process.stderr.write('usage: node bench/cache-conformance.ts --suite DIR (a checkout of github.com/http-tests/cache-tests, npm i done)\n');
  process.exit(2);
}
const suite = resolve(values.suite);

/** Published results compared with, in the order of the report's columns. */
const PEERS = [
  ['nginx', 'nginx.json'], ['Squid', 'squid.json'], ['Varnish', 'varnish.json'], ['Traffic Server', 'trafficserver.json'],
  ['httpd', 'apache.json'], ['Caddy', 'caddy.json'], ['HAProxy', 'haproxy.json'],
] as const;

interface SuiteTest { id: string; name: string; kind?: 'required' | 'optimal' | 'check'; browser_only?: boolean; depends_on?: string[] }
interface SuiteSection { id: string; name: string; tests: SuiteTest[] }
type Results = Record<string, unknown>;
type Verdict = readonly [string, string, string];

const started: PinnedProcess[] = [];

/** The Ingress annotations of each Pier run (report columns). */
const VARIANTS = [
  ['Pier', { 'pier.dev/cache': 'on' }],
  ['Pier, options', { 'pier.dev/cache': 'on', 'pier.dev/cache-use-stale': 'error timeout', 'pier.dev/cache-targeted-fields': 'CDN-Cache-Control' }],
] as const;

function manifests(originPort: number, annotations: Readonly<Record<string, string>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pier-conformance-'));
  writeFileSync(join(dir, 'all.yaml'), [INGRESS_CLASS_YAML, serviceYaml('origin', [{ host: '127.0.0.1', port: originPort }]), `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: conformance
  namespace: default
  annotations: ${JSON.stringify(annotations)}
spec:
  ingressClassName: pier
  rules:
    - http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: origin, port: { number: 80 } } } }] }
`].join('---\n'));
  return dir;
}

/** The suite's client: all tests (JSON on stdout), or one with its trace. */
function runClient(base: string, id: string | undefined): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--no-warnings', 'test-engine/cli.mjs'], {
      cwd: suite, stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, npm_config_base: base, npm_config_id: id ?? '', npm_package_config_id: '' },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolvePromise(out) : reject(new Error(`cache-tests client exited with ${code}`))));
  });
}

async function main(): Promise<void> {
  const originPort = await freePort();
  const scratch = mkdtempSync(join(tmpdir(), 'pier-conformance-run-'));
  const origin = startPinned('0-1', process.execPath, [join(suite, 'test-engine/server/server.mjs')], {
    npm_config_protocol: 'http', npm_config_port: String(originPort), npm_config_pidfile: join(scratch, 'server.pid'),
  }, suite);
  started.push(origin);
  await waitForHttp(origin, `http://127.0.0.1:${originPort}/`, 20_000, 'localhost');
  const startedAt = new Date();
  const runs: [string, Results][] = [];
  for (const [name, annotations] of values.id === undefined ? VARIANTS : VARIANTS.slice(0, 1)) {
    const pierPort = await freePort();
    const pier = await startPier({
      cpus: '0-1', port: pierPort, workers: 2, manifestDir: manifests(originPort, annotations), probe: { host: 'conformance.local', path: '/' },
      args: ['--cache-dir', join(scratch, `cache-${runs.length}`)],
    }, originPort);
    started.push(pier);
    const base = `http://127.0.0.1:${pierPort}`;
    if (values.id !== undefined) {
      process.stdout.write(await runClient(base, values.id));
      return;
    }
    runs.push([name, JSON.parse(await runClient(base, undefined)) as Results]);
    await pier.stop();
  }
  rmSync(scratch, { recursive: true, force: true });
  const outDir = dirname(values.out!);
  writeFileSync(join(outDir, 'cache-conformance-pier.json'), `${JSON.stringify(runs[0]![1], null, 2)}\n`);
  writeFileSync(values.out!, await report(runs, startedAt));
  process.stdout.write(`wrote ${values.out} and ${join(outDir, 'cache-conformance-pier.json')}\n`);
}

/** What the report says about the tests Pier does not pass (kept in step with the code). */
const WHY = [
  '`headers-store-Set-Cookie`, `other-set-cookie`: on purpose. Pier never stores a response with `Set-Cookie` unless it is `public` (a cookie meant for one user must not reach the next through an origin that forgot `private`); RFC 9111 allows storing it, and the suite counts the refusal as a failed set-up.',
  '`stale-close-*` (first column): they need a cache that serves stale when the origin is gone, which Pier does only with `pier.dev/cache-use-stale` (as nginx with `proxy_cache_use_stale`); with it (second column) all pass.',
  '`cdn-*` (first column): `CDN-Cache-Control` is addressed to CDNs; Pier obeys it only when an Ingress names it in `pier.dev/cache-targeted-fields` (second column: all pass).',
  '`vary-normalise-lang-order`, `-lang-select`: Pier matches Vary values after normalizing spaces and the case of language tags, not their order or q-values (another order may say another preference).',
  '`partial-store-partial-*`, `partial-store-partial-complete`: Pier stores only complete responses; a Range request that misses fetches the whole response (then answers the range from it), so partial responses are never combined.',
  '`method-POST`: responses to POST are not stored (RFC 9111 allows it only with Content-Location naming the same URI; no common cache does it).',
  '`conditional-lm-fresh-no-lm`: without a stored `Last-Modified`, Pier answers an `If-Modified-Since` with the full response.',
];

interface Tally { required: number; requiredPass: number; optimal: number; optimalPass: number }

async function report(runs: readonly [string, Results][], startedAt: Date): Promise<string> {
  const pier = runs[0]![1];
  const sections = (await import(pathToFileURL(join(suite, 'tests/index.mjs')).href) as { default: SuiteSection[] }).default;
  const { determineTestResult } = await import(pathToFileURL(join(suite, 'test-engine/lib/results.mjs')).href) as { determineTestResult: (s: SuiteSection[], id: string, r: Results) => Verdict };
  const impls: [string, Results][] = [...runs, ...PEERS.map(([name, file]) => [name, JSON.parse(readFileSync(join(suite, 'results', file), 'utf8')) as Results] as [string, Results])];
  const symbol = (r: Results, id: string) => determineTestResult(sections, id, r)[2];
  const tally = (r: Results, tests: readonly SuiteTest[]): Tally => {
    const t: Tally = { required: 0, requiredPass: 0, optimal: 0, optimalPass: 0 };
    for (const test of tests) {
      if (test.browser_only === true) continue;
      const kind = test.kind ?? 'required';
      const pass = symbol(r, test.id) === '✅';
      if (kind === 'required') { t.required++; if (pass) t.requiredPass++; }
      if (kind === 'optimal') { t.optimal++; if (pass) t.optimalPass++; }
    }
    return t;
  };
  const commit = spawnSync('git', ['-C', suite, 'log', '-1', '--format=%H %cs'], { encoding: 'utf8' }).stdout.trim();
  const lines: string[] = [];
  lines.push(`# HTTP cache conformance (cache-tests.fyi suite) — ${startedAt.toISOString()}`, '');
  lines.push(`Suite: github.com/http-tests/cache-tests at \`${commit}\`; peers' columns are the results published in that checkout's \`results/\` (the versions listed in its \`results/index.mjs\`).`, '');
  lines.push('Commands:', '', '```', 'git clone https://github.com/http-tests/cache-tests /work/cache-tests && (cd /work/cache-tests && npm i --omit=dev)',
    'node bench/cache-conformance.ts --suite /work/cache-tests', '```', '');
  lines.push('Set-up: the suite\'s origin (`test-engine/server/server.mjs`) on 127.0.0.1; `pier serve --manifests DIR --workers 2 --cache-dir DIR` with one Ingress routing `/` to the origin; the suite\'s client (`test-engine/cli.mjs`, `--base=http://127.0.0.1:PORT`) against Pier. The suite\'s docker set-up puts nginx in front of the same origin with `proxy_cache` and `proxy_cache_revalidate on`.', '');
  lines.push('Pier runs (columns):', '', ...VARIANTS.map(([name, a]) => `- ${name}: ${Object.entries(a).map(([k, v]) => `\`${k}: "${v}"\``).join(', ')}`), '');
  lines.push('Kinds (the suite\'s): **required** tests check what RFC 9111 says a cache MUST (NOT) do; a failure is a conformance problem. **optimal** tests check that a stored response is used where it could be (a failure is a missed hit, not an error). Checks ("does the cache…?") are informational and not counted. A test whose prerequisite test fails counts as not passed, as on cache-tests.fyi.', '');
  lines.push(`| section | ${impls.map(([n]) => n).join(' | ')} |`, `|---|${impls.map(() => '---:|').join('')}`);
  const totals = impls.map((): Tally => ({ required: 0, requiredPass: 0, optimal: 0, optimalPass: 0 }));
  for (const section of sections) {
    const cells = impls.map(([, r], i) => {
      const t = tally(r, section.tests);
      const all = totals[i]!;
      all.required += t.required; all.requiredPass += t.requiredPass; all.optimal += t.optimal; all.optimalPass += t.optimalPass;
      return `${t.required === 0 ? '–' : `${t.requiredPass}/${t.required}`} · ${t.optimal === 0 ? '–' : `${t.optimalPass}/${t.optimal}`}`;
    });
    lines.push(`| ${section.name} | ${cells.join(' | ')} |`);
  }
  lines.push(`| **required, all sections** | ${totals.map((t) => `**${t.requiredPass}/${t.required}**`).join(' | ')} |`);
  lines.push(`| **optimal, all sections** | ${totals.map((t) => `**${t.optimalPass}/${t.optimal}**`).join(' | ')} |`, '');
  lines.push('Each cell: required passed/required · optimal passed/optimal.', '');
  lines.push('Pier\'s tests not passed (required first), with the suite\'s reason and the other columns\' outcome:', '');
  lines.push(`| kind | test | Pier | reason | ${impls.slice(1).map(([n]) => n).join(' | ')} |`, `|---|---|---|---|${impls.slice(1).map(() => '---|').join('')}`);
  const rows: string[][] = [];
  for (const section of sections) {
    for (const test of section.tests) {
      const kind = test.kind ?? 'required';
      if (test.browser_only === true || kind === 'check' || symbol(pier, test.id) === '✅') continue;
      const raw = pier[test.id];
      const reason = Array.isArray(raw) ? String(raw[1]) : raw === true && test.depends_on !== undefined ? `depends on ${test.depends_on.join(', ')}` : String(raw);
      rows.push([kind, `${section.id}/${test.id}`, symbol(pier, test.id), reason.replaceAll('|', '\\|'), ...impls.slice(1).map(([, r]) => symbol(r, test.id))]);
    }
  }
  rows.sort((a, b) => (a[0] === b[0] ? 0 : a[0] === 'required' ? -1 : 1));
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  lines.push('', 'Symbols as on cache-tests.fyi: ✅ pass, ⛔️ required failed, ⚠️ optimal failed, ⚪️ a prerequisite failed, 🔹 set-up failed (the test could not get to what it checks), - not run.', '');
  lines.push('Why Pier does not pass the rest:', '', ...WHY.map((w) => `- ${w}`), '');
  lines.push('History: the first run of this suite against Pier (2026-12-04, same suite commit; storability and Expires/Age parsing then came from `http-cache-semantics`, revalidations were not collapsed) passed 123/160 required and 70/105 optimal tests.', '');
  return `${lines.join('\n')}\n`;
}

try {
  await main();
} finally {
  for (const p of started.reverse()) await p.stop();
}
