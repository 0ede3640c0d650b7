import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventProblem, mutatedDocument, seedDocuments } from './fuzz.ts';
import { DocumentRejection, REJECTION_CODES, readDocument } from './read.ts';

/*
 * 1,500 mutated copies of the real documents (and the derived ones) through validation and parsing: the reader
 * either returns complete events or refuses with its typed rejection (a known code, a reason, a line where the
 * XML parser or validator gave one) — it never throws anything else and never hands back a half-made event.
 */

describe('reading mutated real documents', () => {
  it('never throws anything but a DocumentRejection, never returns a half-made event', () => {
    const seeds = seedDocuments();
    const tally = { accepted: 0, rejected: 0, codes: new Map<string, number>() };
    fc.assert(
      fc.property(mutatedDocument(seeds), (xml) => {
        let result;
        try {
          result = readDocument(xml, { source: 'fuzz' });
        } catch (error) {
          if (!(error instanceof DocumentRejection)) throw new Error(`not a DocumentRejection: ${String(error)}`, { cause: error });
          expect(REJECTION_CODES).toContain(error.code);
          expect(typeof error.reason === 'string' && error.reason.length > 0).toBe(true);
          // A reader defect is dressed as ERP_VALUE_INVALID "could not be read": the fuzz must not find one.
          expect(error.reason).not.toMatch(/^The document could not be read/);
          if (error.line !== null) expect(Number.isInteger(error.line) && error.line > 0).toBe(true);
          if (error.code === 'ERP_XML_MALFORMED' || error.code === 'ERP_SCHEMA_INVALID') expect(error.line).toBeGreaterThan(0);
          tally.rejected += 1;
          tally.codes.set(error.code, (tally.codes.get(error.code) ?? 0) + 1);
          return;
        }
        tally.accepted += 1;
        for (const e of result.events) expect([e.type, eventProblem(e)]).toEqual([e.type, null]);
        expect(result.documentKey.length).toBeLessThanOrEqual(200);
      }),
      { numRuns: 1500, seed: Number(process.env.FUZZ_SEED ?? 20261123) },
    );
    // The mutations reach both sides: some documents still read, most are refused for many reasons.
    console.info(`read fuzz: ${tally.accepted} accepted, ${tally.rejected} rejected`, Object.fromEntries(tally.codes));
    expect(tally.accepted + tally.rejected).toBe(1500);
    expect(tally.accepted).toBeGreaterThan(20);
    expect(tally.codes.size).toBeGreaterThanOrEqual(5);
  });
});
