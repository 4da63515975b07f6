import type { Ingress } from '../source/objects.ts';
import type { SnapshotIndex, TranslateOptions } from './snapshot.ts';

/** Marks an IngressClass as the class of Ingresses that name none. */
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
/** Deprecated predecessor of `spec.ingressClassName`; still honoured when that field is absent. */
export const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

/**
 * Says whether `ingress` belongs to this controller (ARCHITECTURE.md class rules), in this order:
 *
 * 1. `spec.ingressClassName` set: ours when it names an IngressClass whose `spec.controller` is
 *    `options.controllerName`. When no IngressClass of that name exists, ours when the name equals
 *    `options.ingressClass` — so manifest mode works without an IngressClass object. An existing
 *    IngressClass of another controller always wins over that name match.
 * 2. Else the deprecated annotation `kubernetes.io/ingress.class`, when present: ours when it
 *    equals `options.ingressClass`.
 * 3. Else (no class at all): ours when one of our IngressClasses is annotated
 *    `ingressclass.kubernetes.io/is-default-class: "true"`, or with
 *    `options.watchIngressWithoutClass`.
 *
 * Ingresses of other classes are not ours and are skipped without a problem: they belong to
 * another controller (the controller logs them once, at info: notOursReason).
 */
export function isOurIngress(ingress: Ingress, index: ClassIndex, options: TranslateOptions): boolean {
  return notOursReason(ingress, index, options) === undefined;
}

/** What isOurIngress needs of the snapshot: the IngressClasses. */
export type ClassIndex = Pick<SnapshotIndex, 'ingressClasses' | 'ingressClass'>;

/**
 * Why `ingress` is not ours, in a user's words (`class "nginx" is not served by pier`), or
 * undefined when it is. The rules are isOurIngress's, above.
 */
export function notOursReason(ingress: Ingress, index: ClassIndex, options: TranslateOptions): string | undefined {
  const served = options.ingressClass;
  const className = ingress.spec?.ingressClassName;
  if (className) {
    const ingressClass = index.ingressClass(className);
    if (ingressClass) {
      const controller = ingressClass.spec?.controller;
      if (controller === options.controllerName) return undefined;
      // The confusing case: our class name, claimed by another controller's IngressClass.
      return className === served
        ? `class "${className}" is not served by ${served}: its IngressClass names controller ${controller ?? '(none)'}, not ${options.controllerName}`
        : `class "${className}" is not served by ${served}`;
    }
    return className === served ? undefined : `class "${className}" is not served by ${served}`;
  }
  const legacy = ingress.metadata.annotations?.[LEGACY_CLASS_ANNOTATION];
  if (legacy !== undefined) return legacy === served ? undefined : `class "${legacy}" (${LEGACY_CLASS_ANNOTATION}) is not served by ${served}`;
  if (options.watchIngressWithoutClass || hasOurDefaultClass(index, options.controllerName)) return undefined;
  return `no class, and IngressClass "${served}" is not the default (set spec.ingressClassName: ${served}, or --watch-ingress-without-class)`;
}

function hasOurDefaultClass(index: ClassIndex, controllerName: string): boolean {
  return index.ingressClasses().some(
    (c) => c.spec?.controller === controllerName && c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true',
  );
}
