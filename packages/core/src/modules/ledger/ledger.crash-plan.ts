/** The crash test's fixed plan: entry i earns (i mod 7) + 1 points for partner i mod N, under key `crash-i`. */
export const CRASH_ENTRIES = 10_000;

export function crashEntry(i: number, partners: string[]) {
  return { partnerId: partners[i % partners.length]!, points: (i % 7) + 1, idempotencyKey: `crash-${i}`, explanation: { rule: 'crash-test', line: i } };
}

export function expectedAvailable(partners: string[]): Map<string, number> {
  const out = new Map(partners.map((p) => [p, 0]));
  for (let i = 0; i < CRASH_ENTRIES; i += 1) {
    const e = crashEntry(i, partners);
    out.set(e.partnerId, out.get(e.partnerId)! + e.points);
  }
  return out;
}
