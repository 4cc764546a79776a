#!/usr/bin/env node
/** The `btx` executable: runs one recipe step and prints its result as one JSON line. */
import { runCli } from './cli-main.js';

runCli(process.argv.slice(2)).then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  },
  (err: unknown) => {
    const e = err as { code?: string; message?: string };
    process.stderr.write(`btx: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
