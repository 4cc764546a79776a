import { initBackend } from '@lab/core';
import { generateSymbolic, runArm } from './src/index.ts';

await initBackend({ prefer: 'wasm' });
const [pairs, epochs, batch, lr] = process.argv.slice(2).map(Number);
const task = generateSymbolic({ pairs, symbols: 100, seed: 1 });
for (const mode of ['entity', 'none'] as const) {
  const r = await runArm(task, {
    reversal: { mode },
    epochs,
    batchSize: batch,
    lr,
    warmupSteps: 50,
    logEvery: 200,
  });
  console.log(
    mode,
    JSON.stringify({
      f: r.forward.accuracy,
      r: r.reverse.accuracy,
      rg: r.reverse.byGroup,
      tokens: r.tokensSeen,
      steps: r.steps,
      loss: r.finalLoss,
      ts: r.trainSeconds,
      es: r.evalSeconds,
    }),
  );
}
