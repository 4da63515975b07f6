import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Ingress, IngressClass } from '../../src/source/objects.ts';
import { IgnoredIngressLog } from '../../src/status/ignored-ingress-log.ts';
import { notOursReason } from '../../src/translate/ingress-class.ts';
import { EMPTY_SNAPSHOT, type Snapshot, type TranslateOptions } from '../../src/translate/snapshot.ts';

const OPTIONS: TranslateOptions = { ingressClass: 'pier', controllerName: 'pier.dev/ingress-controller', watchIngressWithoutClass: false };

const ingress = (name: string, className?: string, legacy?: string): Ingress => ({
  apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
  metadata: { name, namespace: 'shop', ...(legacy === undefined ? {} : { annotations: { 'kubernetes.io/ingress.class': legacy } }) },
  spec: className === undefined ? {} : { ingressClassName: className },
});
const ingressClass = (name: string, controller: string, isDefault = false): IngressClass => ({
  apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass',
  metadata: { name, ...(isDefault ? { annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } } : {}) },
  spec: { controller },
});
const snapshotOf = (ingresses: Ingress[], classes: IngressClass[] = []): Snapshot => ({ ...EMPTY_SNAPSHOT, ingresses, ingressClasses: classes });
const reasonOf = (i: Ingress, classes: IngressClass[] = [], options = OPTIONS) => {
  const byName = new Map(classes.map((c) => [c.metadata.name, c]));
  return notOursReason(i, { ingressClasses: () => snapshotOf([i], classes).ingressClasses, ingressClass: (n) => byName.get(n) }, options);
};

describe('why an Ingress is not Pier\'s', () => {
  const nginx = ingressClass('nginx', 'k8s.io/ingress-nginx');
  it.each([
    { name: 'another controller\'s class', i: ingress('a', 'nginx'), classes: [nginx], reason: 'class "nginx" is not served by pier' },
    { name: 'a class name without an IngressClass', i: ingress('a', 'traefik'), classes: [], reason: 'class "traefik" is not served by pier' },
    { name: 'our name on another controller\'s IngressClass', i: ingress('a', 'pier'), classes: [ingressClass('pier', 'k8s.io/ingress-nginx')], reason: 'class "pier" is not served by pier: its IngressClass names controller k8s.io/ingress-nginx, not pier.dev/ingress-controller' },
    { name: 'the deprecated annotation', i: ingress('a', undefined, 'nginx'), classes: [], reason: 'class "nginx" (kubernetes.io/ingress.class) is not served by pier' },
    { name: 'no class while ours is not the default', i: ingress('a'), classes: [ingressClass('pier', 'pier.dev/ingress-controller')], reason: 'no class, and IngressClass "pier" is not the default (set spec.ingressClassName: pier, or --watch-ingress-without-class)' },
    { name: 'ours by class', i: ingress('a', 'pier'), classes: [], reason: undefined },
    { name: 'ours by default class', i: ingress('a'), classes: [ingressClass('pier', 'pier.dev/ingress-controller', true)], reason: undefined },
  ])('$name', ({ i, classes, reason }) => {
    expect(reasonOf(i, classes)).toBe(reason);
  });
});

describe('IgnoredIngressLog', () => {
  it('logs each ignored Ingress once at info, and again only when its reason changes', () => {
    const lines: { level: number; msg: string; namespace: string; name: string }[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => { lines.push(JSON.parse(chunk.toString())); done(); } });
    const log = new IgnoredIngressLog(pino({ level: 'info' }, sink), OPTIONS);
    const nginx = ingressClass('nginx', 'k8s.io/ingress-nginx');
    log.onBuilt(snapshotOf([ingress('a', 'nginx'), ingress('b', 'pier')], [nginx]));
    log.onBuilt(snapshotOf([ingress('a', 'nginx'), ingress('b', 'pier')], [nginx]));
    expect(lines.map((l) => [l.level, l.namespace, l.name, l.msg])).toEqual([[30, 'shop', 'a', 'ignored: class "nginx" is not served by pier']]);
    log.onBuilt(snapshotOf([ingress('a', 'traefik')], [nginx]));
    expect(lines.at(-1)?.msg).toBe('ignored: class "traefik" is not served by pier');
    expect(lines).toHaveLength(2);
  });
});
