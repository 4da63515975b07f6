import type { SourceEvent, SourceListener } from '../../src/source/source.ts';

/** Collects a source's events and waits, with a bounded timeout, for a condition on them. */
export class EventLog {
  events: SourceEvent[] = [];
  readonly listener: SourceListener = (event) => {
    this.events.push(event);
  };

  /** Returns the events so far and starts a fresh log. */
  take(): SourceEvent[] {
    const taken = this.events;
    this.events = [];
    return taken;
  }

  /** Resolves once `done(events)` holds; rejects after `timeoutMs` listing what arrived. */
  async waitFor(done: (events: readonly SourceEvent[]) => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.events)) {
      if (Date.now() > deadline) throw new Error(`timed out; events so far: ${JSON.stringify(brief(this.events))}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

/** `upsert Service d/a`, `remove Service d/a`, `problem UnknownKind Deployment x/d`, `synced`. */
export function brief(events: readonly SourceEvent[]): string[] {
  return events.map((e) => {
    switch (e.type) {
      case 'upsert': return `upsert ${e.object.kind} ${e.object.metadata.namespace ?? ''}/${e.object.metadata.name}`;
      case 'remove': return `remove ${e.ref.kind} ${e.ref.namespace}/${e.ref.name}`;
      case 'problem': return `problem ${e.problem.reason} ${e.problem.kind} ${e.problem.namespace}/${e.problem.name}`;
      case 'synced': return 'synced';
    }
  });
}

/** Waits long enough for debounced reads of late events to have happened. */
export function settle(ms = 150): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
