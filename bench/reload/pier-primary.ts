/**
 * Pier's side of the reload benchmark: a Supervisor whose tables come from the benchmark over
 * IPC (`{ table }` publishes, `'shutdown'` drains and exits). Settings in PIER_BENCH_OPTIONS.
 */
import { pino } from 'pino';
import type { RouteTable } from '../../src/routing/route-table.ts';
import { Supervisor, type SupervisorOptions } from '../../src/supervisor/supervisor.ts';

const options = JSON.parse(process.env.PIER_BENCH_OPTIONS!) as Omit<SupervisorOptions, 'logger'>;
const supervisor = new Supervisor({ ...options, logger: pino({ level: 'warn' }, pino.destination(2)) });

process.on('message', (msg: { table: RouteTable } | 'shutdown') => {
  if (msg === 'shutdown') void supervisor.shutdown().then(() => process.exit(0));
  else process.send!({ generation: supervisor.publish(msg.table) });
});
process.on('disconnect', () => void supervisor.shutdown().then(() => process.exit(0)));
await supervisor.start();
process.send!({ listening: supervisor.port });
