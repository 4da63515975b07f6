/**
 * HTTP-date (RFC 9110 §5.6.7), strictly: the preferred IMF-fixdate and the two obsolete forms a
 * recipient must accept (rfc850-date, asctime-date), nothing else. `Date.parse` accepts far more
 * ("…02:01:18 UTC", a missing comma, a two-digit year in IMF form), and RFC 9111 §5.3 wants an
 * Expires that is not a valid HTTP-date read as "already expired", so the lenient parse would
 * make a cache reuse responses it must not. Names are matched without regard to case (the
 * suite at cache-tests.fyi counts that as the better behaviour; no date becomes ambiguous).
 * Written here because no maintained npm package parses exactly this grammar.
 */
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY = '(?:mon|tue|wed|thu|fri|sat|sun)';
const LONG_DAY = '(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)';
const MONTH = '(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
const IMF = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`, 'i');
const RFC850 = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`, 'i');
const ASCTIME = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`, 'i');

/** Milliseconds since the epoch, or undefined when `value` is not an HTTP-date. */
export function parseHttpDate(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  let m = IMF.exec(v);
  if (m !== null) return build(Number(m[3]), m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  m = RFC850.exec(v);
  if (m !== null) {
    // §5.6.7: a two-digit year more than 50 years in the future is the most recent past year
    // with those digits.
    const thisYear = new Date(now).getUTCFullYear();
    let year = Math.floor(thisYear / 100) * 100 + Number(m[3]);
    if (year > thisYear + 50) year -= 100;
    return build(year, m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  }
  m = ASCTIME.exec(v);
  if (m !== null) return build(Number(m[6]), m[1]!, Number(m[2]!.trim()), m[3]!, m[4]!, m[5]!);
  return undefined;
}

function build(year: number, month: string, day: number, h: string, min: string, s: string): number | undefined {
  const mon = MONTHS.indexOf(month.toLowerCase());
  const [hour, minute, second] = [Number(h), Number(min), Number(s)];
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const ms = Date.UTC(year, mon, day, hour, minute, Math.min(second, 59));
  // A day past the month's end (31 Feb) rolls over in Date.UTC: not a date.
  return new Date(ms).getUTCDate() === day ? ms : undefined;
}
