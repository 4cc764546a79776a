import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@lab/core';
import { expect, it } from 'vitest';
import { btxDemo } from '../src/index.js';

it('the demo merges three tiny experts and reports the router choices per domain', async () => {
  await initBackend({ prefer: 'wasm' });
  const dir = mkdtempSync(join(tmpdir(), 'btx-demo-'));
  try {
    const r = await btxDemo({ dir, dModel: 16, seedSteps: 3, expertSteps: 3, finetuneSteps: 2 });
    expect(Object.keys(r.routing)).toEqual(['arith', 'code', 'wiki', 'mixed']);
    for (const perLayer of Object.values(r.routing)) {
      expect(perLayer).toHaveLength(2);
      for (const shares of perLayer) expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    }
    expect(r.table).toContain('| arith | 0 |');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
