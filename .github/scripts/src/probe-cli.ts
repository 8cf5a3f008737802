#!/usr/bin/env node
import { appendFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { probeSummary, runProbe, type ProbeReport } from './probe';

/**
 * `node .github/scripts/dist/src/probe-cli.js --url <api base> [--burst N] [--report-file F]`
 *
 * Credentials come from the environment, as for the smoke test: API_SUBSCRIPTION_KEY, and
 * API_BASIC_CREDENTIAL (`user:password`) or API_BASIC_USER + API_BASIC_PASSWORD. The summary goes to
 * $GITHUB_STEP_SUMMARY when set, else to stderr; `--json` prints the report on stdout.
 * Exit codes: 0 every answer as expected, 1 differences (listed), 2 bad options.
 */
export interface ProbeIo {
  readonly argv: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

export async function probeCommand(io: ProbeIo): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: [...io.argv],
      options: {
        url: { type: 'string' },
        burst: { type: 'string' },
        'report-file': { type: 'string' },
        json: { type: 'boolean' },
      },
      strict: true,
    }).values;
  } catch (error) {
    io.stderr.write(`probe: ${(error as Error).message}\n`);
    return 2;
  }
  const usage = (message: string) => {
    io.stderr.write(`probe: ${message}\n`);
    return 2;
  };
  const apiUrl = values.url ?? io.env.PROBE_API_URL;
  if (!apiUrl)
    return usage('--url (the ingest API base, e.g. https://<apim>.azure-api.net/ingest) is required');
  try {
    new URL(apiUrl);
  } catch {
    return usage(`--url ${JSON.stringify(apiUrl)} is not a URL`);
  }
  const burst = values.burst === undefined ? undefined : Number(values.burst);
  if (burst !== undefined && !(Number.isInteger(burst) && burst >= 0))
    return usage(`--burst must be a whole number of requests (0 skips the burst); got ${values.burst}`);
  const credentials = credentialsFrom(io.env);
  if (typeof credentials === 'string') return usage(credentials);

  const report: ProbeReport = await runProbe({
    apiUrl,
    credentials,
    ...(burst !== undefined ? { burst } : {}),
  });
  const summary = probeSummary(report);
  if (io.env.GITHUB_STEP_SUMMARY) await appendFile(io.env.GITHUB_STEP_SUMMARY, summary);
  else io.stderr.write(summary);
  if (values['report-file']) await writeFile(values['report-file'], JSON.stringify(report, null, 2) + '\n');
  if (values.json) io.stdout.write(JSON.stringify(report, null, 2) + '\n');
  return report.ok ? 0 : 1;
}

function credentialsFrom(
  env: NodeJS.ProcessEnv,
): { subscriptionKey: string; basicUser: string; basicPassword: string } | string {
  const subscriptionKey = env.API_SUBSCRIPTION_KEY;
  let user = env.API_BASIC_USER;
  let password = env.API_BASIC_PASSWORD;
  if (env.API_BASIC_CREDENTIAL && !user) {
    const at = env.API_BASIC_CREDENTIAL.indexOf(':');
    if (at < 0) return 'API_BASIC_CREDENTIAL must be user:password';
    user = env.API_BASIC_CREDENTIAL.slice(0, at);
    password = env.API_BASIC_CREDENTIAL.slice(at + 1);
  }
  if (!subscriptionKey) return 'API_SUBSCRIPTION_KEY is required (the probe compares answers to a valid key)';
  if (!user || !password)
    return 'API_BASIC_CREDENTIAL (user:password) or API_BASIC_USER and API_BASIC_PASSWORD are required';
  return { subscriptionKey, basicUser: user, basicPassword: password };
}

if (require.main === module) {
  probeCommand({
    argv: process.argv.slice(2),
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`probe: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
