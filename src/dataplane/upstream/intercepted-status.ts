/** An upstream answer with a custom-http-errors code, dropped (with its connection) so the
 * error backend can answer instead. */
export class InterceptedStatus extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`upstream answered ${status}, sent to the error backend`);
    this.status = status;
  }
}
