import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Supervisor } from '../../src/supervisor/supervisor.ts';

const worker = { httpPort: 0, bindAddress: '127.0.0.1', keepaliveTimeoutMs: 1_000, keepaliveRequests: 10, clientHeaderTimeoutMs: 60_000, clientBodyTimeoutMs: 60_000, logLevel: 'silent' } as const;

describe('Supervisor options', () => {
  it.each([0, -1, 1.5, Number.NaN])('rejects workers = %s with PIER_ERR_SUPERVISOR_OPTIONS', (workers) => {
    expect(() => new Supervisor({ workers, worker, shutdownTimeoutMs: 1_000, logger: pino({ level: 'silent' }) })).toThrow(expect.objectContaining({ code: 'PIER_ERR_SUPERVISOR_OPTIONS' }));
  });

  it('is not ready and has no workers before start()', () => {
    const s = new Supervisor({ workers: 2, worker, shutdownTimeoutMs: 1_000, logger: pino({ level: 'silent' }) });
    expect(s.publish({ virtualHosts: [], backends: [] })).toBe(1);
    expect([s.readyGeneration(0), s.stats(), s.port]).toEqual([false, [], undefined]);
  });
});
