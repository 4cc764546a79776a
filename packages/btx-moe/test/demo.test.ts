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
    // The router sees the tokens: a router that ignored its input (or shares
    // computed from the wrong tensor) would give every domain the same shares.
    const layer0 = Object.values(r.routing).map((perLayer) =>
      perLayer[0]!.map((x) => x.toFixed(6)).join(','),
    );
    expect(new Set(layer0).size).toBeGreaterThan(1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
