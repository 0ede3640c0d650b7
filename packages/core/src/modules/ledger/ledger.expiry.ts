/**
 * When a lot of points expires, from the program's policy, the moment the points were earned and the program's
 * time zone. Points stay usable through the whole last day: a lot expires at the first instant of the next local
 * day (local midnight, which daylight-saving changes do not shift).
 */
export type LotExpiryPolicy =
  | { kind: 'never' }
  /** Through the same calendar day N months after earning (31 January + 1 month = 28/29 February). */
  | { kind: 'months-after-earning'; months: number }
  /** Through the last day of the Nth quarter after the one in which the points were earned. */
  | { kind: 'end-of-quarter-after'; quarters: number };

interface LocalDate {
  year: number;
  month: number; // 1..12
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, f);
  }
  return f;
}

function wallClock(at: Date, timeZone: string): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(at).map((p) => [p.type, p.value]));
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), hour: Number(parts.hour), minute: Number(parts.minute), second: Number(parts.second) };
}

/** The calendar date at an instant in a time zone. */
export function localDate(at: Date, timeZone: string): LocalDate {
  const { year, month, day } = wallClock(at, timeZone);
  return { year, month, day };
}

/** The instant at which a local date begins in a time zone. */
export function startOfLocalDay(date: LocalDate, timeZone: string): Date {
  const target = Date.UTC(date.year, date.month - 1, date.day);
  let guess = target;
  // Two corrections settle the zone offset, also across a daylight-saving change.
  for (let i = 0; i < 2; i += 1) {
    const w = wallClock(new Date(guess), timeZone);
    const offset = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - guess;
    guess = target - offset;
  }
  return new Date(guess);
}

function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

function addMonths(date: LocalDate, months: number): LocalDate {
  const index = date.year * 12 + (date.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return { year, month, day: Math.min(date.day, last) };
}

/** The expiry instant of points earned at `earnedAt`, or null when they never expire. */
export function lotExpiry(policy: LotExpiryPolicy, earnedAt: Date, timeZone: string): Date | null {
  const earned = localDate(earnedAt, timeZone);
  switch (policy.kind) {
    case 'never':
      return null;
    case 'months-after-earning':
      return startOfLocalDay(addDays(addMonths(earned, policy.months), 1), timeZone);
    case 'end-of-quarter-after': {
      const quarter = Math.floor((earned.month - 1) / 3);
      // The first day of the quarter after the last one the points live through.
      return startOfLocalDay(addMonths({ year: earned.year, month: quarter * 3 + 1, day: 1 }, (policy.quarters + 1) * 3), timeZone);
    }
  }
}
