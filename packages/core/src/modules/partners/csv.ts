/**
 * A small RFC 4180 CSV reader: quoted fields with "" escapes and line breaks inside quotes, CRLF or LF,
 * an optional UTF-8 BOM, and a comma or semicolon delimiter (spreadsheets in Poland save with ';').
 */
export interface CsvRow {
  /** 1-based line number where the record starts (the header is line 1). */
  line: number;
  values: string[];
}

export function detectDelimiter(headerLine: string): ',' | ';' {
  const commas = (headerLine.match(/,/g) ?? []).length;
  const semicolons = (headerLine.match(/;/g) ?? []).length;
  return semicolons > commas ? ';' : ',';
}

export function parseCsv(text: string): { header: string[]; rows: CsvRow[]; delimiter: ',' | ';' } {
  const input = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const delimiter = detectDelimiter(input.split(/\r?\n/, 1)[0] ?? '');
  const records: CsvRow[] = [];
  let field = '';
  let record: string[] = [];
  let inQuotes = false;
  let line = 1;
  let recordLine = 1;
  for (let i = 0; i < input.length; i += 1) {
    const c = input[i]!;
    if (inQuotes) {
      if (c === '"') {
        if (input[i + 1] === '"') {
          field += '"';
          i += 1;
        } else inQuotes = false;
      } else {
        if (c === '\n') line += 1;
        field += c;
      }
      continue;
    }
    if (c === '"' && field === '') inQuotes = true;
    else if (c === delimiter) {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && input[i + 1] === '\n') i += 1;
      record.push(field);
      if (record.some((v) => v.trim() !== '')) records.push({ line: recordLine, values: record });
      record = [];
      field = '';
      line += 1;
      recordLine = line;
    } else field += c;
  }
  record.push(field);
  if (record.some((v) => v.trim() !== '')) records.push({ line: recordLine, values: record });
  const [header, ...rows] = records;
  return { header: (header?.values ?? []).map((h) => h.trim()), rows, delimiter };
}
