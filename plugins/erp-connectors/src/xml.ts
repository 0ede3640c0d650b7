import { readFileSync, readdirSync } from 'node:fs';
import { ParseOption, XmlBufferInputProvider, XmlCData, XmlDocument, XmlElement, XmlLibError, XmlText, XsdValidator, xmlRegisterInputProvider, type ErrorDetail, type XmlTreeNode } from 'libxml2-wasm';

/*
 * XML in: well-formedness and XML Schema validation with libxml2 compiled to WebAssembly (no native build), and a
 * plain, read-only tree of what the parsers read (each element with its line), so the parsers are pure functions.
 */

/** Why a document was refused, with the line it was found on: the plugin's one typed rejection. */
export class DocumentRejection extends Error {
  readonly code: RejectionCode;
  /** What was wrong, in English, as the validator or parser put it (shown with the localized title). */
  readonly reason: string;
  /** 1-based line of the document the problem is on; null when it concerns the whole document. */
  readonly line: number | null;
  /** The element or attribute concerned, as a path (`Fa/FaWiersz[2]/P_11`), when there is one. */
  readonly path: string | null;
  readonly params: Record<string, string | number>;

  constructor(code: RejectionCode, reason: string, options: { line?: number | null; path?: string | null; params?: Record<string, string | number> } = {}) {
    super(`${code}: ${reason}${options.line ? ` (line ${options.line})` : ''}`);
    this.name = 'DocumentRejection';
    this.code = code;
    this.reason = reason;
    this.line = options.line ?? null;
    this.path = options.path ?? null;
    this.params = options.params ?? {};
  }
}

export const REJECTION_CODES = [
  'ERP_DOCUMENT_EMPTY',
  'ERP_DOCUMENT_TOO_LARGE',
  'ERP_XML_MALFORMED',
  'ERP_XML_DOCTYPE',
  'ERP_FORMAT_UNKNOWN',
  'ERP_SCHEMA_INVALID',
  'ERP_REQUIRED_MISSING',
  'ERP_VALUE_INVALID',
  'ERP_CURRENCY_UNKNOWN',
  'ERP_PARTY_UNIDENTIFIED',
  'ERP_CORRECTION_REFERENCE_MISSING',
  'ERP_NO_LINES',
  'ERP_UNSUPPORTED',
] as const;
export type RejectionCode = (typeof REJECTION_CODES)[number];

export const isDocumentRejection = (e: unknown): e is DocumentRejection => e instanceof DocumentRejection;

/** The largest document accepted (a KSeF invoice may be up to 1 MB; UBL with attachments more). */
export const MAX_DOCUMENT_BYTES = 5 * 1024 * 1024;

/** An element as the parsers see it. */
export interface El {
  ns: string;
  name: string;
  line: number;
  attrs: Readonly<Record<string, string>>;
  /** The element's own text (its text and CDATA children), untrimmed. */
  text: string;
  children: El[];
}

const ATTRIBUTES = ['schemeID', 'currencyID', 'unitCode', 'kodSystemowy', 'wersjaSchemy', 'listID'];

function toTree(el: XmlElement): El {
  const attrs: Record<string, string> = {};
  for (const name of ATTRIBUTES) {
    const a = el.attr(name);
    if (a) attrs[name] = a.value;
  }
  const children: El[] = [];
  let text = '';
  for (let n: XmlTreeNode | null = el.firstChild; n; n = n.next) {
    if (n instanceof XmlElement) children.push(toTree(n));
    else if (n instanceof XmlText || n instanceof XmlCData) text += n.content;
  }
  return { ns: el.namespaceUri ?? '', name: el.name, line: el.line, attrs, text, children };
}

const PARSE_OPTIONS = ParseOption.XML_PARSE_NO_XXE | ParseOption.XML_PARSE_NONET | ParseOption.XML_PARSE_BIG_LINES;

function lineOf(bytes: Uint8Array, needle: string): number | null {
  const text = new TextDecoder().decode(bytes);
  const i = text.indexOf(needle);
  return i < 0 ? null : text.slice(0, i).split('\n').length;
}

function firstError(details: ErrorDetail[]): ErrorDetail | undefined {
  return details.find((d) => d.level >= 2) ?? details[0];
}

/** Parse a document: well-formed, no DTD, within the size limit; the parsed libxml2 document is returned open. */
function parse(bytes: Uint8Array): XmlDocument {
  if (bytes.length > MAX_DOCUMENT_BYTES) throw new DocumentRejection('ERP_DOCUMENT_TOO_LARGE', `The document has ${bytes.length} bytes; at most ${MAX_DOCUMENT_BYTES} are accepted`, { params: { limit: MAX_DOCUMENT_BYTES } });
  if (!/[^\s\uFEFF]/.test(new TextDecoder().decode(bytes))) throw new DocumentRejection('ERP_DOCUMENT_EMPTY', 'The document is empty');
  let doc: XmlDocument;
  try {
    doc = XmlDocument.fromBuffer(bytes, { option: PARSE_OPTIONS });
  } catch (error) {
    if (error instanceof XmlLibError) {
      const d = firstError(error.details);
      throw new DocumentRejection('ERP_XML_MALFORMED', (d?.message ?? error.message).trim(), { line: d?.line || null });
    }
    throw new DocumentRejection('ERP_XML_MALFORMED', error instanceof Error ? error.message : String(error));
  }
  if (doc.dtd) {
    doc.dispose();
    throw new DocumentRejection('ERP_XML_DOCTYPE', 'A document type declaration (DOCTYPE) is not accepted in an invoice', { line: lineOf(bytes, '<!DOCTYPE') });
  }
  return doc;
}

/** The FA(3) schema and the type files it imports, kept in the plugin's resources/ksef-fa3. */
const FA3_DIR = new URL('../resources/ksef-fa3/', import.meta.url);
const FA3_PREFIX = 'laurel-erp-connectors/ksef-fa3/';
let fa3: XsdValidator | undefined;

function fa3Validator(): XsdValidator {
  if (fa3) return fa3;
  const buffers: Record<string, Uint8Array> = {};
  for (const file of readdirSync(FA3_DIR)) if (file.endsWith('.xsd')) buffers[FA3_PREFIX + file] = readFileSync(new URL(file, FA3_DIR));
  xmlRegisterInputProvider(new XmlBufferInputProvider(buffers));
  const schema = XmlDocument.fromBuffer(buffers[`${FA3_PREFIX}schemat.xsd`]!, { url: `${FA3_PREFIX}schemat.xsd` });
  try {
    fa3 = XsdValidator.fromDoc(schema);
  } finally {
    schema.dispose();
  }
  return fa3;
}

export type Schema = 'ksef-fa3';

/**
 * Read a document: refuse it unless it is well-formed (and valid against `schema` when the root asks for one),
 * else return its tree. `schemaFor` looks at the root element and names the schema to validate against, if any.
 */
export function readXml(bytes: Uint8Array, schemaFor: (root: { ns: string; name: string }) => Schema | null): El {
  const doc = parse(bytes);
  try {
    const root = doc.root;
    const schema = schemaFor({ ns: root.namespaceUri ?? '', name: root.name });
    if (schema === 'ksef-fa3') {
      try {
        fa3Validator().validate(doc);
      } catch (error) {
        if (error instanceof XmlLibError) {
          const d = firstError(error.details);
          throw new DocumentRejection('ERP_SCHEMA_INVALID', (d?.message ?? error.message).trim(), { line: d?.line || null, params: { schema: 'KSeF FA(3)' } });
        }
        throw error;
      }
    }
    return toTree(root);
  } finally {
    doc.dispose();
  }
}

// Reading helpers over the tree.

export const kids = (el: El | undefined, ns: string, name: string): El[] => (el ? el.children.filter((c) => c.name === name && c.ns === ns) : []);
export const kid = (el: El | undefined, ns: string, name: string): El | undefined => el?.children.find((c) => c.name === name && c.ns === ns);
/** Follow a path of child names in one namespace. */
export function at(el: El | undefined, ns: string, ...names: string[]): El | undefined {
  let cur = el;
  for (const n of names) cur = kid(cur, ns, n);
  return cur;
}
export const textOf = (el: El | undefined): string | undefined => {
  const t = el?.text.trim();
  return t ? t : undefined;
};
