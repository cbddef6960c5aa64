/**
 * Strict HTTP-date (RFC 9110 section 5.6.7). Date.parse accepts "2024", ISO 8601 and worse, which
 * would turn headers that must be ignored into real comparisons, so the three grammars are
 * matched explicitly. Answers whole seconds since the epoch, or undefined when invalid.
 */
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const LONG_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const IMF = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const RFC850 = /^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d{2})-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const ASCTIME = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ( \d|\d{2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

function build(year: number, month: string, day: number, h: number, m: number, s: number, weekday: number): number | undefined {
  if (h > 23 || m > 59 || s > 60) return undefined;
  const ms = Date.UTC(year, MONTHS.indexOf(month), day, h, m, Math.min(s, 59));
  const d = new Date(ms);
  // Rejects 31 Feb and friends (Date.UTC would roll over) and a weekday that contradicts the date.
  if (d.getUTCDate() !== day || d.getUTCDay() !== weekday) return undefined;
  return Math.floor(ms / 1000);
}

export function parseHttpDate(value: string | undefined, nowSeconds = Math.floor(Date.now() / 1000)): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  let m = IMF.exec(v);
  if (m) return build(Number(m[4]), m[3]!, Number(m[2]), Number(m[5]), Number(m[6]), Number(m[7]), DAYS.indexOf(m[1]!));
  m = RFC850.exec(v);
  if (m) {
    // RFC 9110: a two-digit year more than 50 years in the future means the most recent past year
    // with those digits; so the year is the one within (now - 50, now + 50] that ends in them.
    const currentYear = new Date(nowSeconds * 1000).getUTCFullYear();
    let year = Math.floor(currentYear / 100) * 100 + Number(m[4]);
    if (year > currentYear + 50) year -= 100;
    else if (year <= currentYear - 50) year += 100;
    return build(year, m[3]!, Number(m[2]), Number(m[5]), Number(m[6]), Number(m[7]), LONG_DAYS.indexOf(m[1]!));
  }
  m = ASCTIME.exec(v);
  if (m) return build(Number(m[7]), m[2]!, Number(m[3]!.trim()), Number(m[4]), Number(m[5]), Number(m[6]), DAYS.indexOf(m[1]!));
  return undefined;
}

let lastFormatted: { time: number; text: string } = { time: Number.NaN, text: '' };

/** IMF-fixdate, the only form a sender may generate. The last one is kept: most answers repeat it. */
export function formatHttpDate(date: Date): string {
  const time = date.getTime();
  if (time !== lastFormatted.time) lastFormatted = { time, text: date.toUTCString() };
  return lastFormatted.text;
}

let cachedSecond = -1;
let cachedNow = '';

/** The Date header for now; formatted once per second, as Node itself does. */
export function httpDateNow(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedNow = new Date(now).toUTCString();
  }
  return cachedNow;
}

/** HTTP dates have one-second resolution; comparisons must drop milliseconds. */
export function toSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
