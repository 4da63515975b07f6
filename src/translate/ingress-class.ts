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
 * another controller.
 */
export function isOurIngress(ingress: Ingress, index: SnapshotIndex, options: TranslateOptions): boolean {
  const className = ingress.spec?.ingressClassName;
  if (className) {
    const ingressClass = index.ingressClass(className);
    if (ingressClass) return ingressClass.spec?.controller === options.controllerName;
    return className === options.ingressClass;
  }
  const legacy = ingress.metadata.annotations?.[LEGACY_CLASS_ANNOTATION];
  if (legacy !== undefined) return legacy === options.ingressClass;
  return options.watchIngressWithoutClass || hasOurDefaultClass(index, options.controllerName);
}

function hasOurDefaultClass(index: SnapshotIndex, controllerName: string): boolean {
  return index.snapshot.ingressClasses.some(
    (c) => c.spec?.controller === controllerName && c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true',
  );
}
