/*
 * A small multipart/form-data reader (RFC 7578) for the upload route: text fields and one file, all in memory (the
 * body is already size-limited). Returns null when the body is not a well-formed multipart body.
 */

export interface MultipartPart {
  name: string;
  fileName: string | null;
  contentType: string | null;
  data: Buffer;
}

export function boundaryOf(contentType: string): string | null {
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  return m ? (m[1] ?? m[2] ?? null) : null;
}

function headerParam(header: string, name: string): string | null {
  const m = new RegExp(`;\\s*${name}="((?:[^"\\\\]|\\\\.)*)"|;\\s*${name}=([^;\\s]+)`, 'i').exec(header);
  if (!m) return null;
  return (m[1] ?? m[2] ?? '').replace(/\\(.)/g, '$1');
}

export function parseMultipart(body: Buffer, boundary: string): MultipartPart[] | null {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let at = body.indexOf(delimiter);
  if (at < 0) return null;
  for (;;) {
    at += delimiter.length;
    // The closing delimiter ends the body.
    if (body[at] === 0x2d && body[at + 1] === 0x2d) return parts;
    if (body[at] === 0x0d && body[at + 1] === 0x0a) at += 2;
    else return null;
    const headerEnd = body.indexOf('\r\n\r\n', at);
    if (headerEnd < 0) return null;
    const headers = body.subarray(at, headerEnd).toString('utf8').split('\r\n');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) return null;
    const disposition = headers.find((h) => /^content-disposition:/i.test(h)) ?? '';
    const type = headers.find((h) => /^content-type:/i.test(h));
    const name = headerParam(disposition, 'name');
    if (name === null) return null;
    parts.push({ name, fileName: headerParam(disposition, 'filename'), contentType: type ? type.slice(type.indexOf(':') + 1).trim() : null, data: body.subarray(headerEnd + 4, next) });
    if (parts.length > 20) return null;
    at = next + 2;
  }
}
