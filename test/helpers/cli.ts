// Runs the medseg CLI in-process with its output captured, as the CLI tests need it.
import { runCli } from '../../main/headless/cli.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCliCaptured(args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), stderrIsTty: false });
  return { code, stdout, stderr };
}
