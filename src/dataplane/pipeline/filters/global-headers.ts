import type { RouteTable } from '../../../routing/route-table.ts';
import { equalsLower } from '../../ascii-case.ts';
import type { AnswerHeaders, HeaderEdit, RequestFilter, ResponseHook, VariableScope } from '../admission.ts';
import { compileVariables, type Expand } from './nginx-variables.ts';

/** One header of a list: its lower-case name, and its value filled in per request. */
interface Header {
  readonly name: string;
  readonly value: Expand;
}

/** A table's `--proxy-set-headers` / `--add-headers`, compiled once per table that changes them. */
export interface GlobalHeaders {
  /** The table's lists as compiled (a later table with equal lists reuses this object). */
  readonly proxySetHeaders: readonly string[] | undefined;
  readonly addHeaders: readonly string[] | undefined;
  /** The filter every route's pipeline starts with, the default backend's included. */
  readonly filter: RequestFilter;
  /** The pipeline of a route without policies: that filter alone (one array for all of them). */
  readonly pipeline: readonly RequestFilter[];
  /** `--add-headers` on Pier's own answers; undefined without it. */
  readonly answer: AnswerHeaders | undefined;
}

/**
 * The table-level header lists (translate/global-headers.ts) as one filter, which every route
 * runs first: its request edit then applies before the route's own (`pier.dev/request-headers-*`,
 * `upstream-vhost`, auth response headers), and its response hook before the route's own
 * (`custom-headers`, CORS, ...), so on a name both set the route wins, as nginx's
 * location-level directives do over the http level's (headers-more runs inherited directives
 * first). Registered before any filter that may answer, so a redirect, a 401, a CORS preflight
 * or a cache hit carries `--add-headers` too, as nginx's more_set_headers marks every status.
 *
 * - `--proxy-set-headers` (nginx proxy_set_header): replaces every header of that name the
 *   client sent (and Pier's own X-Forwarded-* or X-Request-ID of that name); a value empty once
 *   its variables are filled in sends none.
 * - `--add-headers` (more_set_headers): replaces the backend's header of that name; an empty
 *   value removes it (more_set_headers 'Name:' clears it).
 *
 * Cost per request (only with a flag; without both the table has no lists and this is never
 * compiled): an Admission and a pipeline run for routes that had no policies; one request edit
 * (a pass over the upstream headers, then one push per header) and/or one response hook (the
 * backend's head is then copied into a list instead of written raw, and passed over once).
 */
export function compileGlobalHeaders(table: RouteTable, previous?: GlobalHeaders): GlobalHeaders | undefined {
  const { proxySetHeaders, addHeaders } = table;
  if (proxySetHeaders === undefined && addHeaders === undefined) return undefined;
  if (previous !== undefined && sameList(previous.proxySetHeaders, proxySetHeaders) && sameList(previous.addHeaders, addHeaders)) return previous;
  const request = proxySetHeaders === undefined ? undefined : compileList(proxySetHeaders);
  const response = addHeaders === undefined ? undefined : compileList(addHeaders);
  const edit: HeaderEdit | undefined = request === undefined ? undefined : (headers, a) => setHeaders(headers, request, a);
  const hook: ResponseHook | undefined = response === undefined ? undefined : (_status, headers, a) => setHeaders(headers, response, a);
  const answer: AnswerHeaders | undefined = response === undefined ? undefined : (headers, scope) => setHeaders(headers, response, scope);
  const filter: RequestFilter = edit === undefined
    ? (a) => {
      a.onResponse(hook!);
      a.answerHeaders = answer;
      return true;
    }
    : hook === undefined
      ? (a) => {
        a.editRequest(edit);
        return true;
      }
      : (a) => {
        a.editRequest(edit);
        a.onResponse(hook);
        a.answerHeaders = answer;
        return true;
      };
  return { proxySetHeaders, addHeaders, filter, pipeline: [filter], answer };
}

function compileList(flat: readonly string[]): Header[] {
  const out: Header[] = [];
  for (let i = 0; i < flat.length; i += 2) out.push({ name: flat[i]!, value: compileVariables(flat[i + 1]!) });
  return out;
}

/** Every header of `list` replaces those of its name in `headers` (flat, in place): one pass
 * dropping them, then the non-empty values appended. */
function setHeaders(headers: string[], list: readonly Header[], scope: VariableScope): void {
  let w = 0;
  for (let r = 0; r < headers.length; r += 2) {
    const name = headers[r]!;
    if (listed(list, name)) continue;
    headers[w++] = name;
    headers[w++] = headers[r + 1]!;
  }
  headers.length = w;
  for (const header of list) {
    const value = header.value(scope);
    if (value !== '') headers.push(header.name, value);
  }
}

function listed(list: readonly Header[], name: string): boolean {
  for (const header of list) if (header.name.length === name.length && equalsLower(name, header.name)) return true;
  return false;
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  return a.every((x, i) => x === b[i]);
}
