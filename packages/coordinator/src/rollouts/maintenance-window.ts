const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;

export class WindowSyntaxError extends Error {
  override readonly name = "WindowSyntaxError";
  constructor(readonly window: string) {
    super(`maintenance window "${window}": expected [Day[,Day…]] HH:MM-HH:MM (UTC), e.g. "Sat,Sun 02:00-06:00" or "22:00-04:00"`);
  }
}

/** A weekly maintenance window in UTC; an empty spec is always open. */
export interface MaintenanceWindow {
  readonly spec: string;
  isOpen(at: Date): boolean;
}

const minutes = (hh: string, mm: string): number => Number(hh) * 60 + Number(mm);

/**
 * Parses `[Day[,Day…]] HH:MM-HH:MM`. A window that ends before it starts runs
 * past midnight and belongs to the day it starts on ("Sat 22:00-02:00" includes
 * Sunday 01:00).
 */
export function parseMaintenanceWindow(spec: string): MaintenanceWindow {
  const s = spec.trim();
  if (s === "") return { spec: s, isOpen: () => true };
  const m = /^(?:([A-Za-z]{3}(?:,[A-Za-z]{3})*)\s+)?([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$/.exec(s);
  if (m === null) throw new WindowSyntaxError(spec);
  const days = m[1] === undefined ? null : new Set(m[1].split(",").map((d) => DAYS.indexOf(d.toLowerCase() as (typeof DAYS)[number])));
  if (days?.has(-1)) throw new WindowSyntaxError(spec);
  const start = minutes(m[2]!, m[3]!);
  const end = minutes(m[4]!, m[5]!);
  if (end > 24 * 60 || start === end) throw new WindowSyntaxError(spec);
  const dayOk = (d: number): boolean => days === null || days.has(((d % 7) + 7) % 7);
  return {
    spec: s,
    isOpen(at: Date): boolean {
      const t = at.getUTCHours() * 60 + at.getUTCMinutes();
      const d = at.getUTCDay();
      if (start < end) return t >= start && t < end && dayOk(d);
      return (t >= start && dayOk(d)) || (t < end && dayOk(d - 1));
    },
  };
}
