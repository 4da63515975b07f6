/**
 * Value syntaxes of nginx directives that ingress-nginx annotations carry, parsed the way nginx
 * parses them (ngx_parse_size, ngx_parse_time).
 */

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** nginx size (`1000`, `8k`, `8K`, `1m`, `1g`; ingress-nginx also takes `100b`) in bytes;
 * undefined when it is not one. */
export function parseNginxSize(text: string): number | undefined {
  const m = /^([0-9]+)([bBkKmMgG]?)$/.exec(text);
  if (m === null) return undefined;
  return Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!;
}

const TIME_UNITS: Readonly<Record<string, number>> = {
  ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, M: 2_592_000_000, y: 31_536_000_000,
};

/**
 * nginx time (`30`, `30s`, `1m30s`, `500ms`, `7d`, `1M`, `1y`) in milliseconds; a bare number
 * is seconds. Undefined when it is not one.
 */
export function parseNginxTime(text: string): number | undefined {
  if (/^[0-9]+$/.test(text)) return Number(text) * 1_000;
  if (!/^([0-9]+(ms|s|m|h|d|w|M|y))+$/.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/([0-9]+)(ms|s|m|h|d|w|M|y)/g)) total += Number(m[1]) * TIME_UNITS[m[2]!]!;
  return total;
}
