import type { HeaderEdits, RequestHeadersPolicy, ResponseHeadersPolicy } from '../../../routing/policies.ts';
import type { RequestFilter } from '../admission.ts';
import { removeHeader, setHeader } from './header-lists.ts';

/** Applies `edits` to a flat header list: remove, then set (replacing), then add. */
function applyEdits(edits: HeaderEdits, headers: string[]): void {
  for (const name of edits.remove) removeHeader(headers, name);
  for (let i = 0; i < edits.set.length; i += 2) setHeader(headers, edits.set[i]!, edits.set[i + 1]!);
  for (let i = 0; i < edits.add.length; i += 2) headers.push(edits.add[i]!, edits.add[i + 1]!);
}

/** `pier.dev/request-headers-*`, `upstream-vhost` (sets Host): edits of what goes upstream. */
export function requestHeadersFilter(policy: RequestHeadersPolicy): RequestFilter {
  const edit = (headers: string[]) => applyEdits(policy, headers);
  return (a) => {
    a.editRequest(edit);
    return true;
  };
}

/** `custom-headers`, `pier.dev/response-headers-*`: edits of every response of the route
 * (the upstream's, and Pier's own answers after this filter). */
export function responseHeadersFilter(policy: ResponseHeadersPolicy): RequestFilter {
  const hook = (_status: number, headers: string[]) => applyEdits(policy, headers);
  return (a) => {
    a.onResponse(hook);
    return true;
  };
}
