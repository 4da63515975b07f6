import { STATUS_CODES } from 'node:http';

/** A parsed CGI response head (RFC 3875 §6). */
export interface CgiHead {
  readonly status: number;
  readonly statusText: string;
  /** Flat `[name, value, ...]` without `Status`. */
  readonly headers: string[];
  /** The script's Content-Length, or -1. */
  readonly contentLength: number;
  /** A local redirect (§6.2.2: Location is a path, no Status): the path to serve instead. */
  readonly localRedirect: string | null;
}

/**
 * Collects the head of a CGI response from STDOUT content as it streams and parses it once the
 * blank line arrives. Lines end in LF or CRLF (RFC 3875 §6.3). The head is bounded (`maxBytes`);
 * a bigger one, a line that is not `name: value`, a name that is not a token, a value with a
 * control character (CR and NUL included: they would split or smuggle the response Pier writes
 * to its client, which trusts these headers as it trusts llhttp's), a bad or 1xx Status, or
 * conflicting Content-Lengths make the response malformed (the caller answers 502).
 *
 * Status: `Status: 404 Not Found` sets the status line. Location without Status (§6.2.3, 6.2.4):
 * an absolute URI or anything but a path is a client redirect, 302; a path (`/x?y`, not `//`)
 * is a local redirect the caller serves itself.
 */
export class CgiHeadReader {
  readonly #maxBytes: number;
  #text = '';
  #error: string | null = null;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Ready for the next response (one reader per connection). */
  reset(): void {
    this.#text = '';
    this.#error = null;
  }

  /** Why the head is malformed, once `feed` returned -2. */
  get error(): string | null {
    return this.#error;
  }

  /**
   * Takes the next STDOUT bytes. Returns -1 while the head is incomplete, -2 when it is
   * malformed (see `error`), else the offset in `chunk` where the body starts; `head()` then
   * gives the head.
   */
  feed(chunk: Buffer): number {
    const before = this.#text.length;
    const room = this.#maxBytes + 4 - before;
    const take = Math.min(chunk.length, room);
    const text = this.#text + chunk.toString('latin1', 0, take);
    const end = blankLine(text, Math.max(0, before - 3));
    if (end === null) {
      if (text.length >= this.#maxBytes) return this.#fail(`response head exceeds ${this.#maxBytes} bytes`);
      this.#text = text;
      return -1;
    }
    this.#text = text.slice(0, end.at);
    return end.next - before;
  }

  /** The parsed head, or null when malformed (see `error`). */
  head(): CgiHead | null {
    const lines = this.#text === '' ? [] : this.#text.split(LINE_END);
    this.#text = '';
    const headers: string[] = [];
    let statusLine: string | null = null;
    let location: string | null = null;
    let contentLength = -1;
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon <= 0 || !TOKEN.test(line.slice(0, colon))) return this.#failHead(`malformed header line ${JSON.stringify(line.slice(0, 64))}`);
      const name = line.slice(0, colon);
      const value = line.slice(colon + 1).replace(OWS, '');
      if (BAD_VALUE.test(value)) return this.#failHead(`control character in header ${name}`);
      const lower = name.toLowerCase();
      if (lower === 'status') {
        if (statusLine !== null) return this.#failHead('more than one Status header');
        statusLine = value;
        continue;
      }
      if (lower === 'location') location = value;
      else if (lower === 'content-length') {
        if (!DIGITS.test(value) || (contentLength >= 0 && Number(value) !== contentLength)) return this.#failHead(`bad Content-Length ${JSON.stringify(value)}`);
        contentLength = Number(value);
      }
      headers.push(name, value);
    }
    let status = 200;
    let statusText = '';
    if (statusLine !== null) {
      const m = STATUS.exec(statusLine);
      if (m === null || Number(m[1]) < 200) return this.#failHead(`bad Status ${JSON.stringify(statusLine.slice(0, 64))}`);
      status = Number(m[1]);
      statusText = m[2] ?? '';
    } else if (location !== null) {
      if (location.startsWith('/') && !location.startsWith('//')) {
        return { status: 200, statusText: '', headers, contentLength, localRedirect: location };
      }
      status = 302;
    }
    return { status, statusText: statusText || (STATUS_CODES[status] ?? ''), headers, contentLength, localRedirect: null };
  }

  #fail(reason: string): number {
    this.#error = reason;
    this.#text = '';
    return -2;
  }

  #failHead(reason: string): null {
    this.#error = reason;
    return null;
  }
}

/** Where the head's text ends and the body starts: the first empty line at or after `from`. */
function blankLine(text: string, from: number): { at: number; next: number } | null {
  if (text.startsWith('\n')) return { at: 0, next: 1 };
  if (text.startsWith('\r\n')) return { at: 0, next: 2 };
  BLANK.lastIndex = from;
  const m = BLANK.exec(text);
  return m === null ? null : { at: m.index, next: m.index + m[0].length };
}

const BLANK = /\r?\n\r?\n/g;
const LINE_END = /\r?\n/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const OWS = /^[ \t]+|[ \t]+$/g;
// eslint-disable-next-line no-control-regex
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;
const DIGITS = /^\d{1,15}$/;
const STATUS = /^(\d{3})(?:[ \t]+(.*))?$/;
