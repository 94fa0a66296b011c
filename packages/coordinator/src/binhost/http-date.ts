const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const month = MONTHS.join("|");
const day = "Mon|Tue|Wed|Thu|Fri|Sat|Sun";
const longDay = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday";
const time = "(\\d{2}):(\\d{2}):(\\d{2})";

/** `Sun, 06 Nov 1994 08:49:37 GMT`: the form to send, and the one recipients must take. */
const IMF_FIXDATE = new RegExp(`^(?:${day}), (\\d{2}) (${month}) (\\d{4}) ${time} GMT$`);
/** `Sunday, 06-Nov-94 08:49:37 GMT`: obsolete, still to be accepted. */
const RFC850_DATE = new RegExp(`^(?:${longDay}), (\\d{2})-(${month})-(\\d{2}) ${time} GMT$`);
/** `Sun Nov  6 08:49:37 1994`: C's asctime(), obsolete, still to be accepted. */
const ASCTIME_DATE = new RegExp(`^(?:${day}) (${month}) ( \\d|\\d{2}) ${time} (\\d{4})$`);

/**
 * An HTTP date (RFC 9110 §5.6.7) in milliseconds since the epoch, or null when the text is not one
 * of its three forms or names no real moment (31 Feb, 25:00). Date.parse is not used: it takes a
 * bare "2030", local times and a dozen other shapes no HTTP client sends, and a header it misreads
 * as far in the future would answer every request 304.
 */
export function parseHttpDate(text: string, now = Date.now()): number | null {
  const parts = dateParts(text, new Date(now).getUTCFullYear());
  if (parts === null) return null;
  const [year, mon, day, h, mi, s] = parts;
  // 60 is a leap second; JavaScript time has none, so it is the last second of its minute.
  if (h > 23 || mi > 59 || s > 60) return null;
  const ms = Date.UTC(year, MONTHS.indexOf(mon), day, h, mi, Math.min(s, 59));
  // Date.UTC rolls 31 Feb over into March: such a date names no day.
  return new Date(ms).getUTCDate() === day ? ms : null;
}

/** Year, month name, day, hours, minutes, seconds of whichever form `text` is in. */
function dateParts(text: string, currentYear: number): [number, string, number, number, number, number] | null {
  let m = IMF_FIXDATE.exec(text);
  if (m !== null) return [Number(m[3]), m[2]!, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6])];
  if ((m = RFC850_DATE.exec(text)) !== null) {
    // A two-digit year more than 50 years ahead is the most recent past year with those digits.
    let year = currentYear - (currentYear % 100) + Number(m[3]);
    if (year > currentYear + 50) year -= 100;
    return [year, m[2]!, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6])];
  }
  if ((m = ASCTIME_DATE.exec(text)) !== null) return [Number(m[6]), m[1]!, Number(m[2]!.trim()), Number(m[3]), Number(m[4]), Number(m[5])];
  return null;
}

/** The IMF-fixdate of a moment, whole seconds (what Last-Modified carries). */
export const formatHttpDate = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toUTCString();
