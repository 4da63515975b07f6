import type { Logger } from '../observe/logger.ts';
import { notOursReason } from '../translate/ingress-class.ts';
import type { Snapshot, TranslateOptions } from '../translate/snapshot.ts';

/**
 * Logs, once per object, each Ingress that Pier leaves to another controller
 * (`ignored: class "nginx" is not served by pier`), so that a 404 during a migration has an
 * answer in Pier's log. Nothing is written to the object: it is another controller's.
 * An Ingress is logged again only when the reason changes (its class was edited).
 */
export class IgnoredIngressLog {
  readonly #logger: Logger;
  readonly #options: TranslateOptions;
  /** namespace/name → the reason last logged. */
  #logged = new Map<string, string>();

  constructor(logger: Logger, options: TranslateOptions) {
    this.#logger = logger;
    this.#options = options;
  }

  onBuilt(snapshot: Snapshot): void {
    const classes = new Map(snapshot.ingressClasses.map((c) => [c.metadata.name, c]));
    const index = { ingressClasses: () => snapshot.ingressClasses, ingressClass: (name: string) => classes.get(name) };
    const current = new Map<string, string>();
    for (const ingress of snapshot.ingresses) {
      const reason = notOursReason(ingress, index, this.#options);
      if (reason === undefined) continue;
      const { namespace, name } = ingress.metadata;
      const key = `${namespace ?? ''}/${name}`;
      current.set(key, reason);
      if (this.#logged.get(key) !== reason) this.#logger.info({ kind: 'Ingress', namespace, name }, `ignored: ${reason}`);
    }
    this.#logged = current;
  }
}
