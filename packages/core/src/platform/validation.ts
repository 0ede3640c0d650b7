import { Ajv, type AnySchema, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { storableFormats } from '@laurel/plugin-sdk';

/**
 * Request validation for Fastify: two Ajv instances with the same formats and shared schemas.
 *  - bodies (JSON): no type coercion. Ajv's coercion rewrites data inside `anyOf` branches, so a nullable integer
 *    or string (`Type.Union([Type.Integer(), Type.Null()])`) would receive 0 or "" where the client sent null;
 *  - query strings, path parameters and headers: coerced (`coerceTypes: 'array'`), as they only ever hold text.
 * Both report every error (each field named in the problem+json), apply defaults, and keep `date-time` to what the
 * database stores (RFC 3339 with an offset, no leap second, years 1–9999 UTC).
 */
export function buildRequestValidator(externalSchemas: Record<string, AnySchema | AnySchema[]>): (route: { schema?: unknown; httpPart: string; method: string; url: string }) => ValidateFunction {
  const make = (coerceTypes: 'array' | false): Ajv => {
    const ajv = new Ajv({ allErrors: true, coerceTypes, useDefaults: true, removeAdditional: false, addUsedSchema: false, strict: false });
    addFormats.default(ajv);
    storableFormats(ajv);
    for (const schema of Object.values(externalSchemas)) ajv.addSchema(schema);
    return ajv;
  };
  const body = make(false);
  const text = make('array');
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? body : text;
    const id = typeof schema === 'object' ? (schema as { $id?: string }).$id : undefined;
    if (id) {
      const stored = ajv.getSchema(id);
      if (stored) return stored;
    }
    return ajv.compile(schema as AnySchema);
  };
}
