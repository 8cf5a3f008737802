import { join } from 'node:path';

/** The repository root, whether this module runs compiled (dist/src) or from source (under jest). */
export const REPO_ROOT = join(
  __dirname,
  __dirname.endsWith(join('dist', 'src')) ? '../../../..' : '../../..',
);

export const paths = {
  /** Gitignored: generated secrets and settings, emulator data, service logs. */
  dataDir: join(REPO_ROOT, 'local', '.data'),
  /** The functions bundle `npm run -w functions package` builds; a jest run builds its own and names it. */
  functionsApp:
    process.env.PIPELINE_FUNCTIONS_APP ?? join(REPO_ROOT, 'functions', 'dist', 'package', 'dist', 'index.js'),
  policiesDir: join(REPO_ROOT, 'policies'),
  sampleEvents: join(REPO_ROOT, 'producer', 'sample', 'events.ndjson'),
};
