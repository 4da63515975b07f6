/**
 * ingress-nginx's `config_last_reload_successful` and its timestamp, in Pier's terms: a
 * "reload" is one routing table built and published. It succeeded once every serving worker
 * applied it (acked its generation); it failed when translation threw (the previous table
 * keeps serving) or a worker died before applying it. Until the first table is applied, 0.
 */
export class ReloadStatus {
  #pending = 0;
  #successful = false;
  #successAt = 0;

  /** The last successful reload's outcome: 1 or 0. */
  get successful(): number {
    return this.#successful ? 1 : 0;
  }

  /** When the last reload succeeded (Unix seconds; 0: never). */
  get successTimestamp(): number {
    return this.#successAt;
  }

  /** The generation waiting for its acks (0: none). */
  get pending(): number {
    return this.#pending;
  }

  /** A table was published as `generation`. */
  published(generation: number): void {
    this.#pending = generation;
  }

  /** A worker acked a table (or the set of serving workers changed): `applied` says whether
   * every serving worker now runs the pending generation. */
  acked(applied: boolean): void {
    if (this.#pending === 0 || !applied) return;
    this.#pending = 0;
    this.#successful = true;
    this.#successAt = Math.floor(Date.now() / 1000);
  }

  /** Translation threw, or a worker exited before applying the pending table. */
  failed(): void {
    this.#successful = false;
  }
}
