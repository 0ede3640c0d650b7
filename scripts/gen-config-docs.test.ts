import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeSettings } from '@laurel/core';
import { REFERENCE_FILE, configurationReference } from './gen-config-docs.ts';

describe('configuration reference', () => {
  it('is generated from the current configuration schema, Compose file and chart (run pnpm gen:config-docs when this fails)', () => {
    expect(readFileSync(REFERENCE_FILE, 'utf8')).toBe(configurationReference());
  });

  it('shows, for every setting of the schema, where Compose and the Helm chart set it', () => {
    const rows = configurationReference().split('\n');
    for (const s of describeSettings()) {
      const row = rows.find((r) => r.startsWith(`| \`${s.env}\` |`));
      expect(row, s.env).toBeDefined();
      const cells = row!.split(' | ');
      expect(cells.at(-2), `${s.env}: how Compose sets it`).not.toBe('—');
      expect(cells.at(-1), `${s.env}: how the Helm chart sets it`).not.toBe('— |');
    }
  });
});
