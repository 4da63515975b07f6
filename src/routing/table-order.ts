import type { Backend, VirtualHost } from './route-table.ts';

/*
 * The order route-table.ts documents for a table's lists, for code below translate/ that has to
 * keep it (table-delta.ts inserts hosts and backends into a table). translate/sort.ts applies
 * the same rules to translate()'s output; routing/ cannot import it (test/architecture/).
 * Strings compare by UTF-16 code units, never by locale.
 */

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Host names, the any-host entry `''` last. */
export function compareHostNames(a: string, b: string): number {
  if (a === '' || b === '') return Number(a === '') - Number(b === '');
  return compareText(a, b);
}

/** Virtual hosts by host, the any-host entry `''` last. */
export function compareHosts(a: VirtualHost, b: VirtualHost): number {
  return compareHostNames(a.host, b.host);
}

/** Backends by id. */
export function compareBackends(a: Backend, b: Backend): number {
  return compareText(a.id, b.id);
}
