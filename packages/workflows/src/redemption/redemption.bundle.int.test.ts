import { describe, expect, it } from 'vitest';
import { CORE_WORKFLOWS_PATH, bundleWorkflows } from '../worker.ts';

describe('redemption workflow bundle', () => {
  it('is in the worker bundle, built by the SDK bundler with deterministic imports only', async () => {
    const bundle = await bundleWorkflows(CORE_WORKFLOWS_PATH);
    expect(bundle.code).toContain('redemptionWorkflow');
    expect(bundle.code).toContain('decideRedemption');
    expect(bundle.code).not.toMatch(/require\(["'](pg|node:fs|fs|node:crypto)["']\)/);
  }, 120_000);
});
