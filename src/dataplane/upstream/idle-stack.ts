/** What a pooled upstream connection shows the idle stack (H1Connection, FcgiConnection). */
export interface StackedConnection {
  /** Idle (waiting on the stack); false once it carries a request or was destroyed. */
  readonly free: boolean;
  /** On the stack's books (the stack sets and clears it). */
  stacked: boolean;
  /** When it last became free (ms since the epoch). */
  readonly freedAt: number;
  /** Whether it may carry another request at `now` (a time-to-live, a peer that ended). */
  reusable(now: number): boolean;
  destroy(): void;
}

/**
 * The free connections of one upstream pool, most recently used on top (LIFO, as nginx's
 * keepalive cache), for the HTTP/1.1 and FastCGI pools.
 *
 * - At most `maxIdle` idle connections: pushing one more closes the least recently used.
 * - A connection that closes while stacked is not spliced out: `take` skips it, and the array is
 *   compacted once such dead entries are the majority (a close costs O(1)).
 * - The idle count: a stacked connection counts as idle until the pool has handled its 'close'
 *   (`closed`). One destroyed a moment ago (keepalive race, EOF, idle timeout) is still open in
 *   the pool's eyes, so leaving the stack must uncount it, or the count drifts up for good and
 *   every later freed connection looks over maxIdle and closes.
 */
export class IdleStack<C extends StackedConnection> {
  readonly #stack: C[] = [];
  /** The pool's open connections (its 'close' not handled yet). */
  readonly #open: ReadonlySet<C>;
  readonly #maxIdle: number;
  /** Idle connections on the stack (see the class comment). */
  #idle = 0;
  /** Stacked connections that closed since the last compaction (a heuristic count). */
  #dead = 0;

  constructor(open: ReadonlySet<C>, maxIdle: number) {
    this.#open = open;
    this.#maxIdle = maxIdle;
  }

  /** Free connections on the stack (tests, metrics). */
  get free(): number {
    let n = 0;
    for (const conn of this.#stack) if (conn.free) n++;
    return n;
  }

  /** `conn` became free: on top, closing the least recently used one past maxIdle. */
  push(conn: C): void {
    conn.stacked = true;
    this.#stack.push(conn);
    if (++this.#idle > this.#maxIdle) this.#evictOldest();
  }

  /** The most recently freed connection still reusable, or null; unfit ones are closed. `clock`:
   * whether reusable() needs the time (read once, only then). */
  take(clock: boolean): C | null {
    const stack = this.#stack;
    let now = 0;
    while (stack.length > 0) {
      const conn = stack.pop()!;
      this.#unstack(conn);
      if (!conn.free) continue;
      if (clock && now === 0) now = Date.now();
      if (conn.reusable(now)) return conn;
      conn.destroy();
    }
    return null;
  }

  /** The keepalive race: free connections idle since `freedAt` or longer are likely closed too. */
  crossed(freedAt: number): void {
    for (const conn of this.#stack) if (conn.free && conn.freedAt <= freedAt) conn.destroy();
  }

  /** The pool handled the 'close' of `conn` (already out of its open set). */
  closed(conn: C): void {
    if (!conn.stacked) return;
    this.#idle--;
    this.#dead++;
    const stack = this.#stack;
    if (this.#dead < 32 || this.#dead * 2 < stack.length) return;
    let w = 0;
    for (let r = 0; r < stack.length; r++) {
      const c = stack[r]!;
      if (c.free) stack[w++] = c;
      else this.#unstack(c);
    }
    stack.length = w;
    this.#dead = 0;
  }

  /** Closes every free connection and empties the stack (the pool closes). */
  closeAll(): void {
    for (const conn of this.#stack) if (conn.free) conn.destroy();
    this.clear();
  }

  /** Empties the stack without closing anything (the pool destroys every connection itself). */
  clear(): void {
    for (const conn of this.#stack) conn.stacked = false;
    this.#stack.length = 0;
    this.#dead = 0;
    this.#idle = 0;
  }

  /** Idle connections counted (tests). */
  get idle(): number {
    return this.#idle;
  }

  #unstack(conn: C): void {
    conn.stacked = false;
    if (this.#open.has(conn)) this.#idle--;
  }

  /** Over maxIdle: close the least recently used idle connection (the bottom of the stack). */
  #evictOldest(): void {
    const stack = this.#stack;
    for (let i = 0; i < stack.length; i++) {
      const conn = stack[i]!;
      if (!conn.free) continue;
      for (const gone of stack.splice(0, i + 1)) this.#unstack(gone); // it and the closed entries below it
      conn.destroy();
      return;
    }
  }
}
