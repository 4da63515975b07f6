import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { listenOverflows } from '../../bench/lib/connect-burst.ts';
import { parseDataplaneOptions } from '../../bench/lib/dataplane-options.ts';
import { treeCpuSeconds, treeMemory } from '../../bench/lib/proc-tree.ts';
import { roundRatios, spread, summarize } from '../../bench/lib/summary.ts';
import { parseWrkOutput } from '../../bench/lib/wrk.ts';

const WRK_OUTPUT = `Running 10s test @ http://127.0.0.1:8080/100b
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.52ms  310.00us  12.01ms   90.00%
    Req/Sec    42.10k     1.20k   44.00k    70.00%
  Latency Distribution
     50%  820.00us
     75%    1.10ms
     90%    1.80ms
     99%    2.50ms
  421000 requests in 10.00s, 80.30MB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 7
Requests/sec:  42100.00
Transfer/sec:      8.03MB
`;

describe('wrk output', () => {
  it('reads requests, rate, p50/p99 in µs and counts socket errors plus non-2xx as errors', () => {
    expect(parseWrkOutput(WRK_OUTPUT)).toEqual({ requests: 421000, seconds: 10, requestsPerSecond: 42100, p50Us: 820, p99Us: 2500, errors: 12 });
  });

  it('rejects output without a latency distribution (run without --latency)', () => {
    expect(() => parseWrkOutput(WRK_OUTPUT.replace(/ {5}50%.*\n/, ''))).toThrow(/p50/);
  });
});

describe('dataplane options', () => {
  const cases: { name: string; argv: string[]; env?: NodeJS.ProcessEnv; want: Record<string, unknown> }[] = [
    { name: 'defaults', argv: [], want: { rounds: 3, durationSeconds: 10, warmupSeconds: 2, warmupRequests: 50000, connections: 64, install: true } },
    { name: 'warm-up by requests', argv: ['--warmup-requests', '0'], env: { BENCH_WARMUP_REQUESTS: '9' }, want: { warmupRequests: 0 } },
    { name: 'flags', argv: ['--rounds', '1', '--duration', '1', '--targets', 'direct,nginx', '--variants', 'close', '--no-install'], want: { rounds: 1, durationSeconds: 1, targets: ['direct', 'nginx'], variants: ['close'], install: false } },
    { name: 'environment', argv: [], env: { BENCH_ROUNDS: '2', BENCH_PIER_WORKERS: '4' }, want: { rounds: 2, pierWorkers: 4 } },
    { name: 'flag beats environment', argv: ['--rounds', '5'], env: { BENCH_ROUNDS: '2' }, want: { rounds: 5 } },
  ];
  it.each(cases)('$name', ({ argv, env, want }) => {
    expect(parseDataplaneOptions(argv, env ?? {})).toMatchObject(want);
  });

  it.each([
    [['--rounds', '0'], /rounds/],
    [['--duration', '1.5'], /duration/],
    [['--targets', 'direct,squid'], /squid/],
    [['--variants', ''], /variants/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseDataplaneOptions(argv, {})).toThrow(message);
  });
});

describe('summary', () => {
  it.each([
    [[3], 3, 3, 3],
    [[5, 1, 3], 3, 1, 5],
    [[4, 1, 3, 2], 2.5, 1, 4],
  ])('spread(%j) has median %d, range %d–%d', (values, median, min, max) => {
    expect(spread(values)).toEqual({ median, min, max });
  });

  it('groups rounds by variant and target and sums errors', () => {
    const m = (target: string, round: number, rps: number, errors = 0) =>
      ({ target, variant: '100B' as const, round, requestsPerSecond: rps, p50Us: 1, p99Us: 2, cpuUsPerRequest: 10, errors });
    const [a, b] = summarize([m('a', 1, 10), m('b', 1, 1, 2), m('a', 2, 30), m('b', 2, 3, 1)]);
    expect(a).toMatchObject({ target: 'a', rounds: 2, requestsPerSecond: { median: 20, min: 10, max: 30 }, errors: 0 });
    expect(b).toMatchObject({ target: 'b', errors: 3 });
  });

  it('divides two targets round by round, only where both were measured, per variant', () => {
    const m = (target: string, variant: '100B' | 'close', round: number, cpuUsPerRequest: number) =>
      ({ target, variant, round, requestsPerSecond: 1, p50Us: 1, p99Us: 2, cpuUsPerRequest, errors: 0 });
    const ratios = roundRatios([
      m('pier', '100B', 1, 40), m('peer', '100B', 1, 80), m('pier', '100B', 2, 60), m('peer', '100B', 2, 100),
      m('pier', '100B', 3, 50), // the peer failed in round 3: no ratio
      m('pier', 'close', 1, 30), m('peer', 'close', 1, 10),
    ], 'pier', 'peer');
    expect(ratios).toEqual([
      { variant: '100B', target: 'pier', reference: 'peer', rounds: 2, ratio: { median: 0.55, min: 0.5, max: 0.6 } },
      { variant: 'close', target: 'pier', reference: 'peer', rounds: 1, ratio: { median: 3, min: 3, max: 3 } },
    ]);
  });
});

describe('process tree accounting', () => {
  it('counts the CPU time and memory of child processes', async () => {
    // The child spins until it has used 300 ms of CPU by its own account, then says so and idles:
    // bounded by that event, not by wall time (a loaded machine gave a 400 ms spin under 0.2 s).
    const spin = 'const u = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1e6; }; while (u() < 0.3); process.stdout.write("spun\\n"); setTimeout(() => {}, 60_000)';
    const child = spawn(process.execPath, ['-e', spin], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => d.toString().includes('spun') && resolve());
        child.once('exit', (code) => reject(new Error(`child exited (${code}) before spinning`)));
      });
      const pids = treeMemory(process.pid).map((p) => p.pid);
      expect(pids).toContain(child.pid);
      expect(treeCpuSeconds(process.pid) - treeCpuSeconds(child.pid!)).toBeGreaterThan(0);
      // /proc counts user and system time in whole clock ticks (10 ms each): allow two ticks less.
      expect(treeCpuSeconds(child.pid!)).toBeGreaterThanOrEqual(0.28);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('bench/dataplane.ts', () => {
  it('loads and parses its arguments (--parse-only) without starting anything', async () => {
    const child = spawn(process.execPath, ['bench/dataplane.ts', '--parse-only', '--rounds', '1', '--duration', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ rounds: 1, durationSeconds: 1, parseOnly: true });
  });

  it('exits 2 with the usage on a bad flag', async () => {
    const child = spawn(process.execPath, ['bench/dataplane.ts', '--rounds', 'x'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    expect(await new Promise((r) => child.on('exit', r))).toBe(2);
    expect(err).toMatch(/--rounds must be an integer/);
  });
});

describe('connection burst', () => {
  it('reads TcpExt ListenOverflows from /proc/net/netstat text', () => {
    const netstat = 'TcpExt: SyncookiesSent ListenOverflows ListenDrops\nTcpExt: 0 463 470\nIpExt: InNoRoutes\nIpExt: 0\n';
    expect(listenOverflows(netstat)).toBe(463);
    expect(listenOverflows('')).toBe(0);
  });

  it('the burst variant and --burst are options (2000 by default)', () => {
    expect(parseDataplaneOptions(['--variants', 'burst,close'], {})).toMatchObject({ variants: ['burst', 'close'], burstConnections: 2000 });
    expect(parseDataplaneOptions(['--burst', '500'], {}).burstConnections).toBe(500);
  });
});
