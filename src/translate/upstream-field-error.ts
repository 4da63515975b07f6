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
  /** `spec.servers[0].port`; `<nil>` for an error about no field in particular. */
  readonly field: string;
  readonly type: FieldErrorType;
  readonly value?: unknown;
  readonly detail?: string;
  /** A wrong JSON type (field.TypeInvalid): printed as `Invalid value`, but blocks CEL rules. */
  readonly typeInvalid?: boolean;
}

/**
 * Errors after which the API server skips the CEL rules and says so (apiextensions-apiserver
 * customResourceStrategy `hasBlockingErr`): CEL needs well-typed, complete input.
 */
export function isBlocking(e: FieldError): boolean {
  return e.typeInvalid === true || e.type === 'Unsupported value' || e.type === 'Required value' || e.type === 'Too long' || e.type === 'Too many';
}

/** What the API server appends when blocking errors kept it from running the CEL rules. */
export const CEL_SKIPPED: FieldError = {
  field: '<nil>',
  type: 'Invalid value',
  value: null,
  detail: 'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
};

/** Error types whose text omits the bad value (field.Error.ErrorBody). */
const WITHOUT_VALUE = new Set<FieldErrorType>(['Required value', 'Forbidden', 'Too long']);

/** `spec.x: Invalid value: "abc": detail`, as field.Error.Error() prints it. */
export function formatFieldError(e: FieldError): string {
  if (e.type === 'unknown field') return `unknown field "${e.field}"`;
  let body: string = e.type;
  if (!WITHOUT_VALUE.has(e.type)) body += `: ${formatValue(e.value)}`;
  if (e.detail) body += `: ${e.detail}`;
  return `${e.field}: ${body}`;
}

/** Go's %q for strings, %v for numbers and booleans, JSON otherwise; nil becomes the string "null". */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '"null"';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/**
 * The whole rejection as the API server words it:
 * `Upstream.pier.dev "web" is invalid: <error>` or `... is invalid: [<e1>, <e2>]`. Unknown
 * fields are refused earlier, while decoding, under strict field validation (kubectl's default
 * since 1.27), with their own text and nothing else.
 */
export function formatInvalid(name: string, errors: readonly FieldError[]): string {
  const unknown = errors.filter((e) => e.type === 'unknown field');
  if (unknown.length > 0) {
    return `Upstream in version "v1alpha1" cannot be handled as a Upstream: strict decoding error: ${unknown.map(formatFieldError).join(', ')}`;
  }
  const texts = errors.map(formatFieldError);
  const list = texts.length === 1 ? texts[0]! : `[${texts.join(', ')}]`;
  return `Upstream.pier.dev "${name}" is invalid: ${list}`;
}
