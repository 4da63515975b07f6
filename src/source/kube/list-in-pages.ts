import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { KubeApiError } from '../../errors.ts';
import { getJson, httpStatusOf } from './kube-request.ts';

export interface ListInPagesOptions {
  readonly fieldSelector?: string;
  /** Items per page (client-go's reflector asks for 500). */
  readonly pageSize?: number;
  /** Bound of each page's request (getJson). */
  readonly timeoutMs?: number;
  /** Ends the list (the request in flight, and any page after it). */
  readonly signal?: AbortSignal;
  /**
   * Applied to each item as its page arrives (undefined leaves it out), so that what is dropped
   * from items is garbage before the next page is read, not held until the whole list is in.
   */
  readonly admit?: (item: KubernetesObject) => KubernetesObject | undefined;
}

type ListObject = KubernetesListObject<KubernetesObject>;

/** getJson's default bound, per page. */
const DEFAULT_PAGE_TIMEOUT_MS = 30_000;
const FULL_LIST_FACTOR = 4;

/**
 * Lists a collection the way client-go's reflector does (tools/pager.ListPager): `limit`
 * pages, following `metadata.continue` until it is empty, so that neither the API server nor
 * Pier holds one huge response. The pages are parts of one consistent snapshot; the returned
 * list has every item and the metadata of the LAST page, whose resourceVersion is the one to
 * watch from.
 *
 * A continue token can expire (410 Gone: the snapshot was compacted while paging). Then, as
 * client-go's FullListIfExpired, the pages read so far are dropped and the collection is read
 * again in one unpaged list, which cannot expire midway; its items replace the partial ones,
 * so every object is delivered exactly once. A server that ignores `limit` answers the first
 * request with everything and no continue token, which ends the loop at once.
 */
export async function listInPages(kc: KubeConfig, path: string, options: ListInPagesOptions = {}): Promise<ListObject> {
  const { fieldSelector, pageSize = 500, timeoutMs, signal, admit } = options;
  const items: KubernetesObject[] = [];
  let token: string | undefined;
  for (;;) {
    let page: ListObject;
    try {
      page = await getJson(kc, path, { fieldSelector, limit: String(pageSize), continue: token }, timeoutMs, signal) as ListObject;
    } catch (err) {
      if (token === undefined || httpStatusOf(err) !== 410) throw err;
      // The whole collection in one response: allowed four pages' time.
      const whole = await getJson(kc, path, { fieldSelector }, FULL_LIST_FACTOR * (timeoutMs ?? DEFAULT_PAGE_TIMEOUT_MS), signal) as ListObject;
      return { ...whole, items: admitted(whole.items ?? [], admit) };
    }
    for (const item of admitted(page.items ?? [], admit)) items.push(item);
    // Raw JSON: `continue`, not the generated model's `_continue`.
    const next = (page.metadata as { continue?: string } | undefined)?.continue;
    if (!next) return { ...page, items };
    // A server repeating a token would page forever.
    if (next === token) throw new KubeApiError(`GET ${path}: the API server returned the same continue token twice`);
    token = next;
  }
}

function admitted(items: readonly KubernetesObject[], admit: ListInPagesOptions['admit']): KubernetesObject[] {
  if (!admit) return [...items];
  const out: KubernetesObject[] = [];
  for (const item of items) {
    const kept = admit(item);
    if (kept !== undefined) out.push(kept);
  }
  return out;
}
