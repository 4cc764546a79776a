/**
 * Reverse training demo: two tiny models learn the same 500 symbolic facts
 * `a r1 r2 b` (plus `b r3 a` for half of them); one forward only, one also on
 * entity-reversed copies. Then both are asked `b r3` for a held-out pair.
 * About 3 minutes on an idle core (about 55 + 110 CPU-seconds measured under load;
 * set REVERSE_DEMO_EPOCHS to shorten).
 *
 *   pnpm exec tsx --conditions=@lab/source examples/reverse-train-demo.ts
 */
import { initBackend } from '@lab/core';
import { reversalCurseDemo } from '@lab/reverse-train';

await initBackend();
const demo = await reversalCurseDemo({
  epochs: process.env.REVERSE_DEMO_EPOCHS ? Number(process.env.REVERSE_DEMO_EPOCHS) : undefined,
  log: (line) => console.log(line),
});
const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
console.log(
  `standard:         forward ${pct(demo.standard.forward.accuracy)}, reverse ${pct(demo.standard.reverse.accuracy)} (${demo.standard.tokensSeen} tokens)`,
);
console.log(
  `reverse-trained:  forward ${pct(demo.reverseTrained.forward.accuracy)}, reverse ${pct(demo.reverseTrained.reverse.accuracy)} (${demo.reverseTrained.tokensSeen} tokens)`,
);
if (demo.example) {
  const e = demo.example;
  console.log(`trained fact:     ${e.fact}`);
  console.log(`reverse question: ${e.question} → expected ${e.expected}`);
  console.log(`standard model:   ${e.standard || '(nothing)'}`);
  console.log(`reverse-trained:  ${e.reverseTrained}`);
} else {
  console.log('no held-out reverse question was answered by the reverse-trained model alone this time');
}
console.log(`${demo.seconds.toFixed(0)} s`);
