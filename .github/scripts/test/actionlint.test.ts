import { actionlint as runLint } from '../src/actionlint';
import { join } from 'node:path';
import { loadWorkflows } from '../src/workflows';

const WORKFLOWS = join(__dirname, '../../workflows');

// actionlint (compiled to wasm) over every workflow: expressions, contexts, needs, permissions
// names, cron, runner labels, and the inputs of the actions it knows.
describe('actionlint', () => {
  const workflows = loadWorkflows(WORKFLOWS);

  it('finds the four workflows', () => {
    expect(workflows.map((w) => w.file)).toEqual(['ci.yml', 'deploy.yml', 'destroy.yml', 'replay.yml']);
  });

  it.each(workflows.map((w) => [w.file, w] as const))('%s has no findings', async (_file, workflow) => {
    const findings = await runLint(workflow.text, `.github/workflows/${workflow.file}`);
    expect(findings.map((f) => `${workflow.file}:${f.line}:${f.column} [${f.kind}] ${f.message}`)).toEqual(
      [],
    );
  });

  // Guards the guard: if the wasm stopped loading or stopped checking, every test above would pass.
  it('reports the mistakes it is relied on to catch', async () => {
    const broken = [
      'on:',
      '  push:',
      '  schedule:',
      "    - cron: '0 25 * * *'",
      'jobs:',
      '  a:',
      '    runs-on: ubuntu-24.04',
      '    needs: missing-job',
      '    steps:',
      '      - run: echo "${{ github.event.pull_request.title }}"',
      '      - run: echo ${{ steps.nope.outputs.x }} ${{ secrets }}',
      '      - uses: actions/checkout@v4',
      '        with:',
      '          fetch-dept: 1',
    ].join('\n');
    const kinds = (await runLint(broken, 'broken.yml')).map((f) => f.message);
    expect(kinds).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/invalid CRON/),
        expect.stringMatching(/property "nope" is not defined/),
        expect.stringMatching(/missing-job/),
        expect.stringMatching(/potentially untrusted/),
        expect.stringMatching(/fetch-dept/),
      ]),
    );
  });
});
