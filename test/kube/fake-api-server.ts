/**
 * A local Kubernetes API server for tests: speaks the real list/watch protocol to the real
 * @kubernetes/client-node through a kubeconfig, without a cluster.
 *
 * - One global resourceVersion counter, as etcd's revision: every write bumps it.
 * - list: `metadata.resourceVersion` of the collection; items without kind/apiVersion (as the
 *   real server encodes typed lists). `limit` + `continue` page over a snapshot
 *   (fake-api-pages.ts); `expireContinueTokens()` makes continuing a paged list 410 Gone;
 *   `ignoreLimit` answers everything at once, as servers that do not page.
 * - watch (`?watch=true&resourceVersion=N`): a chunked stream of `{"type","object"}` lines,
 *   replaying the history after N, then live events; BOOKMARKs on demand; `timeoutSeconds`.
 * - `expire()` compacts history: a watch resuming from before it gets `410 Gone` (reason
 *   Expired) as an ERROR event on a 200 stream, as the real server does (or as an HTTP 410 with
 *   `expiredAs: 'status'`, as very old servers did).
 * - `dropWatches()` cuts every open watch connection.
 * - PUT `…/status` changes only status, and for built-in kinds (Ingress, Service) the labels
 *   and annotations too, as the real server does (their status strategies reset only the spec;
 *   a custom resource's keeps the whole stored object but its status); PUT on the object keeps
 *   status; a stale `metadata.resourceVersion` in a PUT body is a 409 Conflict; POST of an
 *   existing name is 409.
 * - PATCH (JSON merge patch, RFC 7386, `application/merge-patch+json`; other patch types are
 *   415) on the object or `…/status`, with the same rules; a `metadata.resourceVersion` in the
 *   patch is a precondition (409 when stale), as on the real server.
 * - `uninstall('Upstream')`: that kind answers 404 (the CRD is absent) until `install`.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { kubeConfigDocument, readBody, selfSignedCertificate, rfc3339, sendJson, sendStatus } from './fake-api-http.ts';
import { ListPages } from './fake-api-pages.ts';
import { sendExpired, WatchStreams, type Obj, type WatchEvent } from './fake-api-watches.ts';
import { apiVersionOf, matchesFieldSelector, parseApiPath, typeOfKind, type ParsedPath, type ResourceType } from './fake-api-resources.ts';

export type { Obj } from './fake-api-watches.ts';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body?: Obj;
  /** The bearer token sent: tells apart clients given different kubeconfigs. */
  readonly token?: string;
  /** The request's Content-Type (what kind of patch a PATCH is). */
  readonly contentType?: string;
  /** The HTTP status answered (set once the response was sent). */
  status?: number;
  /** What a list answered: its resourceVersion, item count and continue token. */
  listed?: { readonly resourceVersion: string; readonly items: number; readonly continue?: string; bytes?: number };
}

interface HistoryEntry {
  readonly rv: number;
  readonly plural: string;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: Obj;
}

const SUBRESOURCE_STATUS = new Set(['Ingress', 'Service', 'Upstream']);

export interface FakeApiServerOptions {
  /** How an expired resourceVersion is reported to a watch (default: 'event', like the real server). */
  readonly expiredAs?: 'event' | 'status';
  /** Serve HTTPS with a fresh self-signed certificate, which the kubeconfigs trust (as in a pod). */
  readonly tls?: boolean;
  /** Answer lists whole, without paging, whatever `limit` asks (as servers that do not page). */
  readonly ignoreLimit?: boolean;
}

export class FakeApiServer {
  readonly requests: RecordedRequest[] = [];
  readonly #server: Server;
  readonly #objects = new Map<string, Map<string, Obj>>();
  readonly #history: HistoryEntry[] = [];
  readonly #watches = new WatchStreams();
  readonly #uninstalled = new Set<string>();
  readonly #failures: { match: (req: RecordedRequest) => boolean; status: number }[] = [];
  readonly #delays: { match: (req: RecordedRequest) => boolean; ms: number }[] = [];
  readonly #dir: string;
  readonly #expiredAs: 'event' | 'status';
  readonly #pages = new ListPages();
  readonly #json = new WeakMap<Obj, string>();
  readonly #ignoreLimit: boolean;
  /** Ends every watch right after its replay, as a misbehaving proxy might. */
  endWatchesAtOnce = false;
  /** Keeps watches open past their `timeoutSeconds`, as a connection that died silently looks. */
  ignoreWatchTimeouts = false;
  /** Called with every request once recorded, before it is answered: lets a test act mid-list. */
  onRequest: ((req: RecordedRequest) => void) | undefined;
  #caPem: string | undefined;
  #rv = 1;
  #compactedRv = 0;
  url = '';
  kubeConfigPath = '';

  private constructor(options: FakeApiServerOptions) {
    this.#expiredAs = options.expiredAs ?? 'event';
    this.#ignoreLimit = options.ignoreLimit ?? false;
    this.#dir = mkdtempSync(join(tmpdir(), 'pier-fake-api-'));
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.#handle(req, res);
    if (options.tls) {
      const { key, cert } = selfSignedCertificate(this.#dir);
      this.#caPem = cert;
      this.#server = createTlsServer({ key, cert }, handler);
    } else {
      this.#server = createServer(handler);
    }
  }

  static async start(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
    const api = new FakeApiServer(options);
    await new Promise<void>((resolve) => api.#server.listen(0, '127.0.0.1', resolve));
    api.url = `${api.#caPem ? 'https' : 'http'}://127.0.0.1:${(api.#server.address() as AddressInfo).port}`;
    api.kubeConfigPath = join(api.#dir, 'kubeconfig');
    writeFileSync(api.kubeConfigPath, JSON.stringify(kubeConfigDocument(api.url, undefined, api.#caPem)));
    return api;
  }

  /** A client configuration pointing at this server (what KUBECONFIG=kubeConfigPath loads). */
  kubeConfig(token = 'fake-token'): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromString(JSON.stringify(kubeConfigDocument(this.url, token, this.#caPem)));
    return kc;
  }

  /** Writes another kubeconfig for this server whose client sends `token` (tells processes apart). */
  writeKubeConfig(token: string): string {
    const path = join(this.#dir, `kubeconfig-${token}`);
    writeFileSync(path, JSON.stringify(kubeConfigDocument(this.url, token, this.#caPem)));
    return path;
  }

  get resourceVersion(): number {
    return this.#rv;
  }

  get openWatches(): number {
    return this.#watches.size;
  }

  async close(): Promise<void> {
    this.#watches.drop('reset');
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    rmSync(this.#dir, { recursive: true, force: true });
  }

  // ---- test controls -------------------------------------------------------------------------

  /** Creates or replaces an object (kind and apiVersion filled in); returns the stored copy. */
  apply(obj: Obj): Obj {
    const type = typeOfKind(obj.kind!);
    const existing = this.get(type.kind, obj.metadata.namespace, obj.metadata.name);
    return existing ? this.#update(type, existing, { ...obj, metadata: { ...obj.metadata, resourceVersion: undefined } }) : this.#create(type, obj);
  }

  /** Replaces only the status, as a PUT to the status subresource does (apply keeps status). */
  setStatus(kind: string, namespace: string | undefined, name: string, status: unknown): Obj {
    const existing = this.get(kind, namespace, name);
    if (!existing) throw new Error(`fake API server: no ${kind} ${namespace ?? ''}/${name}`);
    return this.#update(typeOfKind(kind), existing, { ...existing, status }, true);
  }

  remove(kind: string, namespace: string | undefined, name: string): void {
    const type = typeOfKind(kind);
    const existing = this.get(kind, namespace, name);
    if (existing) this.#delete(type, existing);
  }

  get(kind: string, namespace: string | undefined, name: string): Obj | undefined {
    const type = typeOfKind(kind);
    return this.#bucket(type).get(keyOf(type, namespace, name));
  }

  list(kind: string): Obj[] {
    return [...this.#bucket(typeOfKind(kind)).values()];
  }

  /** The kind answers 404 from now on, as when its CRD is not installed. */
  uninstall(kind: string): void {
    this.#uninstalled.add(kind);
  }

  install(kind: string): void {
    this.#uninstalled.delete(kind);
  }

  /** Forgets history: any watch resuming from a resourceVersion before now is told 410 Gone. */
  expire(): void {
    this.#compactedRv = this.#rv;
    this.#history.length = 0;
  }

  /** Compacts the snapshots of paged lists: continuing one is answered 410 Gone. */
  expireContinueTokens(): void {
    this.#pages.expire();
  }

  /** Cuts every open watch connection (abruptly, or as a clean end of the response). */
  dropWatches(how: 'reset' | 'end' = 'reset'): void {
    this.#watches.drop(how);
  }

  /** Sends a BOOKMARK with the current resourceVersion to watches that asked for bookmarks. */
  sendBookmarks(): void {
    this.#watches.bookmark(this.#rv);
  }

  /** Holds matching requests `ms` before answering (a slow API server). */
  delay(match: (req: RecordedRequest) => boolean, ms: number): void {
    this.#delays.push({ match, ms });
  }

  /** Answers matching requests with `status` until the returned function is called. */
  fail(match: (req: RecordedRequest) => boolean, status: number): () => void {
    const entry = { match, status };
    this.#failures.push(entry);
    return () => {
      const i = this.#failures.indexOf(entry);
      if (i >= 0) this.#failures.splice(i, 1);
    };
  }

  // ---- storage -------------------------------------------------------------------------------

  #bucket(type: ResourceType): Map<string, Obj> {
    let bucket = this.#objects.get(type.plural);
    if (!bucket) this.#objects.set(type.plural, (bucket = new Map()));
    return bucket;
  }

  #create(type: ResourceType, obj: Obj): Obj {
    const stored: Obj = {
      ...obj,
      kind: type.kind,
      apiVersion: apiVersionOf(type),
      metadata: {
        ...obj.metadata,
        uid: randomUUID(),
        resourceVersion: String(++this.#rv),
        generation: 1,
        creationTimestamp: (obj.metadata.creationTimestamp as string | undefined) ?? rfc3339(new Date()),
      },
    };
    if (!type.namespaced) delete stored.metadata.namespace;
    this.#bucket(type).set(keyOf(type, stored.metadata.namespace, stored.metadata.name), stored);
    this.#emit(type, 'ADDED', stored);
    return stored;
  }

  #update(type: ResourceType, existing: Obj, next: Obj, statusOnly = false): Obj {
    const keepStatus = SUBRESOURCE_STATUS.has(type.kind);
    const base = statusOnly ? { ...existing, status: next.status } : { ...next, ...(keepStatus ? { status: existing.status } : {}) };
    if (base.status === undefined) delete base.status;
    const specChanged = !statusOnly && JSON.stringify(next.spec) !== JSON.stringify(existing.spec);
    // A custom resource's status write keeps all stored metadata; a built-in kind's takes the
    // request's labels and annotations. Without managedFields a write keeps the stored ones.
    const metadata = statusOnly && type.group === 'pier.dev' ? existing.metadata : next.metadata;
    const stored: Obj = {
      ...base,
      kind: type.kind,
      apiVersion: apiVersionOf(type),
      metadata: {
        ...(next.metadata.managedFields === undefined && existing.metadata.managedFields !== undefined ? { managedFields: existing.metadata.managedFields } : {}),
        ...metadata,
        uid: existing.metadata.uid,
        creationTimestamp: existing.metadata.creationTimestamp,
        namespace: existing.metadata.namespace,
        resourceVersion: String(++this.#rv),
        generation: (existing.metadata.generation as number) + (specChanged ? 1 : 0),
      },
    };
    if (!type.namespaced) delete stored.metadata.namespace;
    this.#bucket(type).set(keyOf(type, stored.metadata.namespace, stored.metadata.name), stored);
    this.#emit(type, 'MODIFIED', stored);
    return stored;
  }

  #delete(type: ResourceType, existing: Obj): void {
    this.#bucket(type).delete(keyOf(type, existing.metadata.namespace, existing.metadata.name));
    this.#emit(type, 'DELETED', { ...existing, metadata: { ...existing.metadata, resourceVersion: String(++this.#rv) } });
  }

  #emit(type: ResourceType, event: HistoryEntry['type'], object: Obj): void {
    // Serialized when written, as the real server's watch cache does, not on every list.
    if (event !== 'DELETED') this.#itemJson(object);
    const rv = Number(object.metadata.resourceVersion);
    this.#history.push({ rv, plural: type.plural, type: event, object });
    this.#watches.broadcast(type, { type: event, object });
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const raw = await readBody(req);
    let body: Obj | undefined;
    try {
      body = raw ? (JSON.parse(raw) as Obj) : undefined;
    } catch {
      return sendStatus(res, 400, 'BadRequest', 'invalid JSON body');
    }
    const token = /^Bearer (.*)$/.exec(req.headers.authorization ?? '')?.[1];
    const recorded: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, body, token, contentType: req.headers['content-type'] };
    this.requests.push(recorded);
    res.on('finish', () => (recorded.status = res.statusCode));
    this.onRequest?.(recorded);
    const delay = this.#delays.find((d) => d.match(recorded));
    if (delay) await new Promise((r) => setTimeout(r, delay.ms));
    if (res.destroyed) return;
    const failure = this.#failures.find((f) => f.match(recorded));
    if (failure) return sendStatus(res, failure.status, 'InternalError', 'injected failure');
    const parsed = parseApiPath(url.pathname);
    if (!parsed || this.#uninstalled.has(parsed.type.kind)) {
      return sendStatus(res, 404, 'NotFound', 'the server could not find the requested resource');
    }
    this.#route(recorded, parsed, res);
  }

  #route(req: RecordedRequest, p: ParsedPath, res: ServerResponse): void {
    const { type } = p;
    if (req.method === 'GET' && p.name === undefined) {
      return req.query.get('watch') === 'true' || req.query.get('watch') === '1' ? this.#watch(req, p, res) : this.#list(req, p, res);
    }
    if (req.method === 'POST' && p.name === undefined) {
      if (!req.body?.metadata?.name) return sendStatus(res, 422, 'Invalid', 'metadata.name is required');
      const obj = { ...req.body, metadata: { ...req.body.metadata, namespace: p.namespace } };
      if (this.get(type.kind, p.namespace, obj.metadata.name)) return sendStatus(res, 409, 'AlreadyExists', `${type.plural} "${obj.metadata.name}" already exists`);
      return sendJson(res, 201, this.#create(type, obj));
    }
    const existing = p.name === undefined ? undefined : this.get(type.kind, p.namespace, p.name);
    if (!existing) return sendStatus(res, 404, 'NotFound', `${type.plural} "${p.name ?? ''}" not found`);
    if (req.method === 'GET' && p.subresource === undefined) return sendJson(res, 200, existing);
    if (req.method === 'DELETE' && p.subresource === undefined) {
      this.#delete(type, existing);
      return sendJson(res, 200, existing);
    }
    if (req.method === 'PUT' && (p.subresource === undefined || p.subresource === 'status') && req.body) {
      const rv = req.body.metadata?.resourceVersion;
      if (rv !== undefined && rv !== existing.metadata.resourceVersion) {
        return sendStatus(res, 409, 'Conflict', `Operation cannot be fulfilled on ${type.plural} "${p.name}": the object has been modified; please apply your changes to the latest version and try again`);
      }
      return sendJson(res, 200, this.#update(type, existing, req.body, p.subresource === 'status'));
    }
    if (req.method === 'PATCH' && (p.subresource === undefined || p.subresource === 'status') && req.body) {
      if (req.contentType !== MERGE_PATCH) return sendStatus(res, 415, 'UnsupportedMediaType', `the fake API server only takes ${MERGE_PATCH}, not ${req.contentType ?? 'none'}`);
      const rv = req.body.metadata?.resourceVersion;
      if (rv !== undefined && rv !== existing.metadata.resourceVersion) {
        return sendStatus(res, 409, 'Conflict', `Operation cannot be fulfilled on ${type.plural} "${p.name}": the object has been modified; please apply your changes to the latest version and try again`);
      }
      return sendJson(res, 200, this.#update(type, existing, mergePatch(existing, req.body) as Obj, p.subresource === 'status'));
    }
    return sendStatus(res, 405, 'MethodNotAllowed', `${req.method} is not supported by the fake API server`);
  }

  #list(req: RecordedRequest, p: ParsedPath, res: ServerResponse): void {
    const selector = req.query.get('fieldSelector');
    const take = () => ({
      resourceVersion: String(this.#rv),
      items: [...this.#bucket(p.type).values()]
        .filter((o) => p.namespace === undefined || o.metadata.namespace === p.namespace)
        .filter((o) => matchesFieldSelector(o, selector)),
    });
    const page = this.#pages.page(this.#ignoreLimit ? new URLSearchParams() : req.query, take);
    if (!page.ok) return sendStatus(res, page.status, page.status === 410 ? 'Expired' : 'BadRequest', page.message);
    const { items, resourceVersion, continue: token, remainingItemCount } = page;
    req.listed = { resourceVersion, items: items.length, continue: token };
    const metadata = { resourceVersion, ...(token ? { continue: token, remainingItemCount } : {}) };
    const head = JSON.stringify({ kind: `${p.type.kind}List`, apiVersion: apiVersionOf(p.type), metadata }).slice(0, -1);
    const body = `${head},"items":[${(items as Obj[]).map((o) => this.#itemJson(o)).join(',')}]}`;
    req.listed.bytes = Buffer.byteLength(body);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  }

  /**
   * A stored object as a list item (without kind and apiVersion, as the real server encodes
   * typed lists), serialized once: stored objects are never changed in place (every write
   * stores a new one), and serializing tens of thousands of them for every paged list made
   * this server, not the client, the bottleneck of the informer benchmark.
   */
  #itemJson(obj: Obj): string {
    let json = this.#json.get(obj);
    if (json === undefined) {
      const { kind: _k, apiVersion: _a, ...rest } = obj;
      json = JSON.stringify(rest);
      this.#json.set(obj, json);
    }
    return json;
  }

  #watch(req: RecordedRequest, p: ParsedPath, res: ServerResponse): void {
    const from = req.query.get('resourceVersion');
    const fromRv = from ? Number(from) : 0;
    if (fromRv !== 0 && fromRv < this.#compactedRv) return sendExpired(res, `too old resource version: ${fromRv} (${this.#compactedRv})`, this.#expiredAs);
    const replay: WatchEvent[] = fromRv === 0
      ? [...this.#bucket(p.type).values()].map((object) => ({ type: 'ADDED', object }))
      : this.#history.filter((h) => h.plural === p.type.plural && h.rv > fromRv);
    const query = new URLSearchParams(req.query);
    if (this.ignoreWatchTimeouts) query.delete('timeoutSeconds');
    this.#watches.open(res, p.type, p.namespace, query, replay, this.endWatchesAtOnce);
  }
}

const MERGE_PATCH = 'application/merge-patch+json';

/** RFC 7386 JSON merge patch: objects merge key by key, null deletes, anything else replaces. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

function keyOf(type: ResourceType, namespace: string | undefined, name: string): string {
  return type.namespaced ? `${namespace ?? ''}/${name}` : name;
}
