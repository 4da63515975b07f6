import type { HashKey } from '../../routing/route-table.ts';
import type { PickContext } from './balancer.ts';

/**
 * The value ConsistentHash hashes for one request: a header (the first one when repeated), a
 * cookie, or the client address. '' when the request does not carry it.
 */
export function hashKeyOf(key: HashKey, ctx: PickContext): string {
  switch (key.source) {
    case 'ClientAddress':
      return ctx.clientAddress;
    case 'RequestURI':
      return ctx.target ?? '';
    case 'Header': {
      const value = ctx.headers[key.name ?? ''];
      return (Array.isArray(value) ? value[0] : value) ?? '';
    }
    case 'Cookie':
      return cookieValue(ctx.headers.cookie, key.name ?? '');
  }
}

/** The value of cookie `name` in a Cookie header (`a=1; b=2`), '' when absent. */
export function cookieValue(header: string | undefined, name: string): string {
  if (!header || !name) return '';
  let at = 0;
  while (at < header.length) {
    while (header.charCodeAt(at) === 32 || header.charCodeAt(at) === 59) at += 1;
    let end = header.indexOf(';', at);
    if (end < 0) end = header.length;
    if (header.startsWith(name, at) && header.charCodeAt(at + name.length) === 61) {
      let value = header.slice(at + name.length + 1, end).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      return value;
    }
    at = end + 1;
  }
  return '';
}
