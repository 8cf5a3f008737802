#!/usr/bin/env node
import { appendFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { probeSummary, runProbe, type ProbeReport } from './probe';

/**
 * The fidelity probe's command line (`npm run probe -- --url <api base>`); PROBE_USAGE says how.
 * Exit codes: 0 every answer as expected, 1 differences (listed), 2 bad options.
 */
export const PROBE_USAGE = `Usage: npm run probe -- --url <api base> [options]
       node .github/scripts/dist/src/probe-cli.js --url <api base> [options]

Sends the fidelity probe's fixed requests (size limits, missing and wrong credentials, schema edge
cases, a POST without Content-Length, a burst over the rate limit) to <api base>/events and compares
each answer with what the local twin answers. Exit 0 when every answer is as expected, 1 when any
differs (the differences are listed), 2 on bad options.

  --url <url>            the ingest API base, e.g. https://<apim>.azure-api.net/ingest, or the local
                         stack's http://127.0.0.1:<port>/ingest (env PROBE_API_URL)
  --burst <n>            requests of the rate-limit burst (default 10% over the product's limit;
                         0 skips it). The burst leaves the subscription throttled for up to a minute.
  --report-file <file>   write the full report (every case, expected and observed) as JSON
  --json                 print the report as JSON on stdout
  --help                 this text

Credentials, from the environment (never flags, which a process list shows):
  API_SUBSCRIPTION_KEY   a valid subscription key of the ingest product
  API_BASIC_CREDENTIAL   user:password of the API's basic credential
                         (or API_BASIC_USER and API_BASIC_PASSWORD)

The summary table, with the differences under it, goes to $GITHUB_STEP_SUMMARY when that is set
(the job summary in GitHub Actions), else to stderr. docs/deploying.md, "Reading a failing probe",
says what each case proves and what to do about a difference.
`;

export interface ProbeIo {
  readonly argv: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** What a relative --report-file is relative to (default the process's working folder). */
  readonly cwd?: string;
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
        help: { type: 'boolean' },
      },
      strict: true,
    }).values;
  } catch (error) {
    io.stderr.write(`probe: ${(error as Error).message}\n\n${PROBE_USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(PROBE_USAGE);
    return 0;
  }
  const usage = (message: string) => {
    io.stderr.write(`probe: ${message} (--help for usage)\n`);
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
  if (values['report-file'])
    await writeFile(resolve(io.cwd ?? '.', values['report-file']), JSON.stringify(report, null, 2) + '\n');
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
    // `npm run probe -- ...` runs in the workspace folder; relative paths mean the caller's folder.
    cwd: process.env.INIT_CWD || process.cwd(),
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
