/** The request headers of Portage's FETCHCOMMAND (wget) for binaries and distfiles alike. */
export const FETCH_HEADERS = { "User-Agent": "Portage (Gentoo, https://www.gentoo.org) distfile-fetch", Accept: "*/*", "Accept-Encoding": "identity", Connection: "Keep-Alive" };

/** How wget (Portage's FETCHCOMMAND) prints a transfer rate: "1.2 MB/s", "830.0 KB/s". */
export function humanRate(bytes: number, seconds: number): string {
  const rate = bytes / Math.max(seconds, 1e-6);
  return rate > 1e6 ? `${(rate / 1e6).toFixed(1)} MB/s` : `${(rate / 1e3).toFixed(1)} KB/s`;
}

/** wget's timestamp: "2026-11-25 22:27:32". */
export function wgetDate(d: Date): string {
  return d.toISOString().replace("T", " ").slice(0, 19);
}
