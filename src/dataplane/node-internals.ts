/**
 * Which of the Node internals Pier's lean HTTP/1.1 layer uses this Node still has, found
 * without loading that layer (whose modules need them at import): `_http_common`'s HTTPParser
 * (the llhttp binding: request and response parsing, deprecated as DEP0199) and
 * `process.binding('stream_wrap')` (direct handle writes, DEP0111). A start-up check reads this
 * to choose the lean layer or the fallback on public APIs (node:http / undici), and to log why.
 *
 * Loaders are injectable so tests can force "missing" on a Node that has everything.
 */
import { createRequire } from 'node:module';

export interface NodeInternalsLoaders {
  /** `require('_http_common')`. */
  readonly httpCommon: () => unknown;
  /** `process.binding('stream_wrap')`. */
  readonly streamWrap: () => unknown;
}

export interface NodeInternalsReport {
  /** The llhttp parser is usable: the lean server and upstream client can run. */
  readonly parser: boolean;
  /** Direct handle writes are usable (without them the lean layer writes through the stream:
   * slower, still correct; direct-write.ts falls back by itself). */
  readonly directWrites: boolean;
  /** What is missing or changed, one line each (empty when everything is there). */
  readonly problems: readonly string[];
}

const requireBuiltin = createRequire(import.meta.url);

export const NODE_LOADERS: NodeInternalsLoaders = {
  httpCommon: () => requireBuiltin('_http_common'),
  streamWrap: () => (process as unknown as { binding(name: string): unknown }).binding('stream_wrap'),
};

/** What http-parser.ts reads from `_http_common` (numbers: parser types and callback slots). */
const PARSER_CONSTANTS = ['REQUEST', 'RESPONSE', 'kOnMessageBegin', 'kOnHeaders', 'kOnHeadersComplete', 'kOnBody', 'kOnMessageComplete', 'kOnExecute', 'kOnTimeout', 'kLenientNone'] as const;
/** The parser methods http-parser.ts types and the lean layer calls. */
const PARSER_METHODS = ['initialize', 'execute', 'finish', 'close', 'free', 'pause', 'resume', 'consume', 'unconsume', 'getCurrentBuffer'] as const;

/** Checks the internals' shape; never throws. */
export function probeNodeInternals(loaders: NodeInternalsLoaders = NODE_LOADERS): NodeInternalsReport {
  const problems: string[] = [];
  const parser = probe(problems, '_http_common', loaders.httpCommon, (m) => {
    const common = m as { HTTPParser?: unknown; methods?: unknown };
    if (typeof common.HTTPParser !== 'function') return 'has no HTTPParser';
    const P = common.HTTPParser as unknown as Record<string, unknown> & { prototype?: Record<string, unknown> };
    const constants = PARSER_CONSTANTS.filter((k) => typeof P[k] !== 'number');
    if (constants.length > 0) return `HTTPParser lacks ${constants.join(', ')}`;
    const methods = PARSER_METHODS.filter((k) => typeof P.prototype?.[k] !== 'function');
    if (methods.length > 0) return `HTTPParser lacks ${methods.join(', ')}()`;
    if (!Array.isArray(common.methods) || !common.methods.includes('GET')) return 'has no methods list';
    return undefined;
  });
  const directWrites = probe(problems, "process.binding('stream_wrap')", loaders.streamWrap, (m) => {
    const b = m as { WriteWrap?: unknown; streamBaseState?: unknown; kLastWriteWasAsync?: unknown };
    const ok = typeof b.WriteWrap === 'function' && b.streamBaseState instanceof Int32Array && typeof b.kLastWriteWasAsync === 'number';
    return ok ? undefined : 'lacks WriteWrap, streamBaseState or kLastWriteWasAsync';
  });
  return { parser, directWrites, problems };
}

function probe(problems: string[], name: string, load: () => unknown, check: (m: unknown) => string | undefined): boolean {
  let loaded: unknown;
  try {
    loaded = load();
  } catch (err) {
    problems.push(`${name} cannot be loaded: ${(err as Error).message}`);
    return false;
  }
  const problem = loaded !== null && typeof loaded === 'object' ? check(loaded) : 'is not an object';
  if (problem !== undefined) problems.push(`${name} ${problem}`);
  return problem === undefined;
}

/** Which HTTP/1.1 layer serves, and what to warn about at start. */
export interface HttpLayerChoice {
  /** The public-API layer (node:http front, undici upstream) instead of the lean one. */
  readonly publicHttp: boolean;
  /** One line for the start-up warning; undefined when the lean layer has all it uses. */
  readonly warning: string | undefined;
  /** What is missing or changed (the probe's lines). */
  readonly missing: readonly string[];
}

/**
 * The lean layer needs the llhttp binding; without direct handle writes it only writes through
 * the socket stream (slower, same behaviour). `force` (`--force-public-http`) takes the
 * public-API layer on any Node, so CI can run it where the internals still exist.
 */
export function chooseHttpLayer(force: boolean, report: NodeInternalsReport = probeNodeInternals()): HttpLayerChoice {
  const missing = report.problems;
  if (force || !report.parser) {
    const why = force ? 'forced by --force-public-http' : 'this Node lacks internals the lean HTTP/1.1 layer uses';
    return { publicHttp: true, missing, warning: `HTTP/1.1 is served through node:http and undici (public APIs only, more CPU per request): ${why}` };
  }
  if (!report.directWrites) {
    return { publicHttp: false, missing, warning: 'direct socket writes are unavailable on this Node: responses are written through the socket stream (more CPU per response)' };
  }
  return { publicHttp: false, missing, warning: undefined };
}
