// Where medseg keeps its database by default: the same folder Electron's app.getPath('userData') would use.
import { homedir, platform } from 'node:os';
import { join } from 'node:path';

export const APP_NAME = 'medseg';

export function userDataDir(env: NodeJS.ProcessEnv = process.env): string {
  switch (platform()) {
    case 'win32':
      return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), APP_NAME);
    case 'darwin':
      return join(homedir(), 'Library', 'Application Support', APP_NAME);
    default:
      return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), APP_NAME);
  }
}

/** --db FILE wins, then MEDSEG_DB, then <userData>/medseg.db. */
export function resolveDbPath(cliDb: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return cliDb ?? env.MEDSEG_DB ?? join(userDataDir(env), 'medseg.db');
}
