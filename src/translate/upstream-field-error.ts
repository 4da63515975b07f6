/**
 * Validation errors in the API server's words (k8s.io/apimachinery/pkg/util/validation/field),
 * so manifest mode reports a bad Upstream exactly as `kubectl apply` would in cluster mode.
 */
export type FieldErrorType =
  | 'Required value'
  | 'Invalid value'
  | 'Unsupported value'
  | 'Duplicate value'
  | 'Forbidden'
  | 'Too long'
  | 'Too many'
  | 'unknown field';

export interface FieldError {
  /** `spec.servers[0].port` */
  readonly field: string;
  readonly type: FieldErrorType;
  readonly value?: unknown;
  readonly detail?: string;
}

/** Error types whose text omits the bad value (field.Error.ErrorBody). */
const WITHOUT_VALUE = new Set<FieldErrorType>(['Required value', 'Forbidden', 'Too long']);

/** `spec.x: Invalid value: "abc": detail`, as field.Error.Error() prints it. */
export function formatFieldError(e: FieldError): string {
  // Strict field validation (kubectl's default) rejects unknown fields with this text.
  if (e.type === 'unknown field') return `unknown field "${e.field}"`;
  let body: string = e.type;
  if (!WITHOUT_VALUE.has(e.type)) body += `: ${formatValue(e.value)}`;
  if (e.detail) body += `: ${e.detail}`;
  return `${e.field}: ${body}`;
}

/** Go's %q for strings, %v for numbers and booleans, JSON otherwise. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/**
 * The whole rejection as the API server words it:
 * `Upstream.pier.dev "web" is invalid: <error>` or `... is invalid: [<e1>, <e2>]`.
 */
export function formatInvalid(name: string, errors: readonly FieldError[]): string {
  const texts = errors.map(formatFieldError);
  const list = texts.length === 1 ? texts[0]! : `[${texts.join(', ')}]`;
  return `Upstream.pier.dev "${name}" is invalid: ${list}`;
}
