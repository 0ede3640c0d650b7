import { describe, expect, it } from 'vitest';
import { unstorableText } from './app.ts';

describe('unstorableText (the preValidation check of every body)', () => {
  it('names the first field PostgreSQL cannot store', () => {
    expect(unstorableText({ a: 'ok', b: ['x', 'y\u0000'] }, '/body')).toBe('/body/b/1');
    expect(unstorableText({ 'a/b': '\ud800' }, '/body')).toBe('/body/a~1b');
    expect(unstorableText({ a: 'ok' }, '/body')).toBeNull();
  });

  it('does not walk an upload read as bytes (a 5 MB Buffer of NULs is not text)', () => {
    const started = performance.now();
    expect(unstorableText(Buffer.alloc(5_000_000), '/body')).toBeNull();
    expect(unstorableText({ file: new Uint8Array(10) }, '/body')).toBeNull();
    expect(performance.now() - started).toBeLessThan(100);
  });
});
