import type { Ingress } from '../source/objects.ts';
import { problemAbout } from './problem.ts';
import type { Problem } from './problem.ts';

/** Prefix of Pier's own annotations; others' annotations (nginx, kubectl, ...) are ignored. */
export const ANNOTATION_PREFIX = 'pier.dev/';

/** Every `pier.dev/` annotation Pier understands. None yet: later issues add them here. */
export const KNOWN_ANNOTATIONS: ReadonlySet<string> = new Set<string>();

/**
 * Reports each `pier.dev/` annotation Pier does not know (a typo, or one from a newer Pier) as a
 * `Normal` problem: worth telling, but no reason to stop serving the Ingress.
 */
export function unknownAnnotationProblems(ingress: Ingress): Problem[] {
  const annotations = ingress.metadata.annotations ?? {};
  const problems: Problem[] = [];
  for (const key of Object.keys(annotations)) {
    if (!key.startsWith(ANNOTATION_PREFIX) || KNOWN_ANNOTATIONS.has(key)) continue;
    problems.push(problemAbout(ingress, 'UnknownAnnotation', `annotation ${key} is not known to Pier and is ignored`, 'Normal'));
  }
  return problems;
}
