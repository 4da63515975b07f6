import { parseAllDocuments } from 'yaml';
import { parseCommandLine } from '../../src/config.ts';
import type { PierConfig } from '../../src/config.ts';
import type { HelmOptions } from '../../scripts/helm.ts';
import { helmTemplate } from '../../scripts/helm.ts';

/** A rendered Kubernetes object, loosely typed: tests read the fields they assert on. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [key: string]: any };

/** Parses multi-document YAML into objects, failing on any YAML error (a broken template). */
export function parseManifests(text: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as K8sObject | null;
    if (value !== null) objects.push(value);
  }
  return objects;
}

/** The chart rendered with `helm template` and parsed, with lookups by kind and name. */
export class Rendered {
  readonly objects: readonly K8sObject[];

  constructor(objects: readonly K8sObject[]) {
    this.objects = objects;
  }

  /** Renders the chart (release "pier", namespace "pier" unless given). */
  static of(options: HelmOptions = {}): Rendered {
    return new Rendered(parseManifests(helmTemplate(options)));
  }

  all(kind: string): K8sObject[] {
    return this.objects.filter((o) => o.kind === kind);
  }

  /** The one object of `kind` (and `name`, when given); throws when there is none or several. */
  one(kind: string, name?: string): K8sObject {
    const found = this.all(kind).filter((o) => name === undefined || o.metadata.name === name);
    if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
    return found[0]!;
  }

  /** The Deployment or DaemonSet running Pier. */
  workload(): K8sObject {
    const found = this.objects.filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet');
    if (found.length !== 1) throw new Error(`expected one Deployment or DaemonSet, found ${found.length}`);
    return found[0]!;
  }

  /** Pier's container in the workload's pod template. */
  container(): K8sObject {
    return this.workload().spec.template.spec.containers.find((c: { name: string }) => c.name === 'pier');
  }

  /** The container's args as a map of flag → value (`true` for a bare flag); repeated flags keep the last. */
  flags(): Map<string, string | true> {
    const flags = new Map<string, string | true>();
    for (const arg of this.container().args as string[]) {
      const m = /^--([^=]+)(?:=(.*))?$/.exec(arg);
      if (m) flags.set(m[1]!, m[2] ?? true);
    }
    return flags;
  }

  /** The config Pier would run with, parsed from the container args by Pier's own parser (throws on a flag Pier rejects). */
  config(): PierConfig {
    const result = parseCommandLine(this.container().args, {});
    if (result.command !== 'serve') throw new Error('container args do not run `serve`');
    return result.config;
  }
}
