import { toEvents } from './events.ts';
import { ksefVersion, readKsef } from './ksef.ts';
import type { DocumentResult } from './types.ts';
import { isUbl, readUbl } from './ubl.ts';
import { DocumentRejection, readXml } from './xml.ts';

/**
 * Read one document (Peppol BIS 3.0 UBL Invoice/CreditNote, KSeF FA(3) or FA(2)) and make its canonical events.
 * Pure: no database, no clock. Throws `DocumentRejection` (reason and line) and nothing else for any input.
 */
export function readDocument(input: string | Uint8Array, options: { source: string; programId?: string }): DocumentResult {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  try {
    const seen: { format: ReturnType<typeof ksefVersion> | 'peppol-bis3' } = { format: null };
    const root = readXml(bytes, (r) => {
      seen.format = isUbl(r) ? 'peppol-bis3' : ksefVersion(r);
      return seen.format === 'ksef-fa3' ? 'ksef-fa3' : null;
    });
    const format = seen.format;
    if (format === null) {
      throw new DocumentRejection('ERP_FORMAT_UNKNOWN', `The root element {${root.ns.slice(0, 100)}}${root.name.slice(0, 50)} is not a UBL Invoice or CreditNote or a KSeF FA(3) or FA(2) Faktura`, { line: root.line, params: { root: root.name.slice(0, 50) } });
    }
    const reading = format === 'peppol-bis3' ? readUbl(root) : readKsef(root, format);
    return toEvents(reading, options.source, options.programId);
  } catch (error) {
    if (error instanceof DocumentRejection) throw error;
    // Anything else is a defect of the reader; it is still refused as the document's problem, never half-read.
    throw new DocumentRejection('ERP_VALUE_INVALID', `The document could not be read: ${error instanceof Error ? error.message : String(error)}`.slice(0, 500));
  }
}

export { DocumentRejection, isDocumentRejection, REJECTION_CODES } from './xml.ts';
export type { RejectionCode } from './xml.ts';
