import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCHEMA_FILE, generateApiTypes } from './gen-api.ts';

describe('typed API client', () => {
  it('is generated from the current OpenAPI document (run pnpm gen:api when this fails)', async () => {
    const generated = await generateApiTypes();
    expect(generated).toContain('"/health/ready"');
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(generated);
  }, 30_000);
});
