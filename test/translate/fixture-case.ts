import type { Snapshot, TranslateOptions } from '../../src/translate/snapshot.ts';
import { translate } from '../../src/translate/translate.ts';
import type { TranslateResult } from '../../src/translate/translate.ts';
import { OPTIONS } from './builders.ts';
import { loadSnapshot } from './load-fixture.ts';

/** One row of a translate table: a fixture, options, and the complete expected result. */
export interface FixtureCase {
  readonly name: string;
  /** Fixture file name (test/fixtures/translate/<fixture>.yaml); defaults to the case name. */
  readonly fixture?: string;
  readonly options?: Partial<TranslateOptions>;
  /** Feed every list of the snapshot in reverse order. */
  readonly reverse?: boolean;
  readonly want: TranslateResult;
}

/** Translates the case's fixture with OPTIONS overridden by the case's options. */
export function translateCase({ name, fixture, options, reverse }: FixtureCase): TranslateResult {
  const snapshot = loadSnapshot(fixture ?? name);
  return translate(reverse ? reversed(snapshot) : snapshot, { ...OPTIONS, ...options });
}

function reversed(snapshot: Snapshot): Snapshot {
  const r = <T>(list: readonly T[]) => [...list].reverse();
  return {
    ingressClasses: r(snapshot.ingressClasses), ingresses: r(snapshot.ingresses), services: r(snapshot.services),
    endpointSlices: r(snapshot.endpointSlices), secrets: r(snapshot.secrets), upstreams: r(snapshot.upstreams),
  };
}
