import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '@pipeline/producer';
import { apiBaseUrl } from '@pipeline/schemas';
import { paths } from './paths';
import { portsFromEnvironment } from './ports';
import { loadOrCreateSecrets } from './secrets';

/**
 * `npm run replay -- <producer replay options>`: replays into a stack that is already running
 * (`npm run stack`), through the gateway. The URL and the sample input default to the stack's own;
 * the credentials come from the stack's secrets file through the producer's environment variables, so
 * they never appear on a command line or in a log.
 */
export async function replayCommand(args: readonly string[], dataDir: string): Promise<number> {
  const secretsFile = join(dataDir, 'secrets.json');
  if (!existsSync(secretsFile)) {
    process.stderr.write(
      `No stack secrets at ${secretsFile}: start the stack first with \`npm run stack\` (or \`npm start\`).\n`,
    );
    return 2;
  }
  const secrets = loadOrCreateSecrets(secretsFile);
  const has = (flag: string) => args.some((a) => a === flag || a.startsWith(`${flag}=`));
  const argv = ['replay', ...args];
  if (!has('--url')) argv.push('--url', apiBaseUrl(`http://127.0.0.1:${portsFromEnvironment().gateway}`));
  if (!has('--input')) argv.push('--input', paths.sampleEvents);
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  return runCli(argv, {
    stdout: process.stdout,
    stderr: process.stderr,
    signal: controller.signal,
    env: {
      ...process.env,
      PRODUCER_SUBSCRIPTION_KEY: secrets.subscription.primaryKey,
      PRODUCER_BASIC_USER: secrets.basicAuth.user,
      PRODUCER_BASIC_PASSWORD: secrets.basicAuth.password,
    },
  });
}
