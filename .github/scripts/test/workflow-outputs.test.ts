import { join } from 'node:path';
import { parse } from 'yaml';
import { PIPELINE_OUTPUT_NAMES } from '@pipeline/schemas';
import {
  loadWorkflows,
  terraformOutputReferences,
  type LoadedWorkflow,
  type Workflow,
} from '../src/workflows';

/**
 * The workflows read the pipeline stack's Terraform outputs by name, in YAML that cannot import the
 * contract. These checks make a name the contract does not define (a typo, a renamed output) fail
 * here instead of in a deploy; cdktf/test/pipeline-stack.test.ts checks the other side, that the
 * stack outputs exactly the contract's names.
 */
const workflows = loadWorkflows(join(__dirname, '../../workflows'));
const references = workflows.flatMap(terraformOutputReferences);
const defined = new Set<string>(PIPELINE_OUTPUT_NAMES);

function workflowOf(yaml: string): LoadedWorkflow {
  return { file: 'example.yml', text: yaml, doc: parse(yaml) as Workflow };
}

describe('the Terraform outputs the workflows read', () => {
  it('finds the outputs the deploy and replay workflows read', () => {
    const files = new Set(references.map((r) => r.file));
    expect(files).toEqual(new Set(['deploy.yml', 'replay.yml']));
    expect(references.filter((r) => r.how === 'read').length).toBeGreaterThan(10);
  });

  it('names only outputs the contract defines', () => {
    const unknown = references.filter((r) => !defined.has(r.name));
    expect(unknown.map((r) => `${r.file} ${r.job}: ${r.name} (${r.how})`)).toEqual([]);
  });

  it('reads only outputs its tf-outputs step requires (the command sets no others)', () => {
    const unset = references.filter((r) => r.how === 'read' && !r.required);
    expect(unset.map((r) => `${r.file} ${r.job}: ${r.name}`)).toEqual([]);
  });

  it('finds a name the contract does not define, and a read the step does not set', () => {
    const found = terraformOutputReferences(
      workflowOf(`
on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    outputs:
      url: \${{ steps.tf.outputs.API_BASE_URL }}
    steps:
      - id: tf
        run: node .github/scripts/dist/src/cli.js tf-outputs --json-file o.json --require API_BASE_URL,API_BASE_URI
      - run: echo "$KV"
        env:
          KV: \${{ steps.tf.outputs.KEY_VAULT_NAME }}
          OTHER: \${{ steps.other.outputs.NOT_TERRAFORM }}
`),
    );
    expect(found.filter((r) => !defined.has(r.name)).map((r) => r.name)).toEqual(['API_BASE_URI']);
    expect(found.filter((r) => r.how === 'read').map((r) => [r.name, r.required])).toEqual([
      ['API_BASE_URL', true],
      ['KEY_VAULT_NAME', false],
    ]);
  });

  it('takes a step without --require as setting the default list, and --all as setting every output', () => {
    const found = terraformOutputReferences(
      workflowOf(`
on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - id: tf
        run: node cli.js tf-outputs --json-file o.json
      - run: echo \${{ steps.tf.outputs.API_BASE_URL }} \${{ steps.tf.outputs.FUNCTION_ROLES_READY }}
  b:
    runs-on: ubuntu-latest
    steps:
      - id: tf
        run: node cli.js tf-outputs --json-file o.json --all
      - run: echo \${{ steps.tf.outputs.FUNCTION_ROLES_READY }}
`),
    );
    expect(found.map((r) => [r.job, r.name, r.required])).toEqual([
      ['a', 'API_BASE_URL', true],
      ['a', 'FUNCTION_ROLES_READY', false],
      ['b', 'FUNCTION_ROLES_READY', true],
    ]);
  });
});
