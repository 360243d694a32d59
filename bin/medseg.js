#!/usr/bin/env node
// CLI entry: runs the compiled headless CLI (build first with `npm run build`).
import { runCli } from '../dist/main/headless/cli.js';

runCli(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(`medseg: ${err && err.message ? err.message : err}`); process.exitCode = 1; },
);
