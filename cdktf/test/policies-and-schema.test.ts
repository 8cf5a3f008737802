import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fromDraft07, readContract, REQUEST_SCHEMA_PATH } from '../src/apim-schema';
import { POLICY_FILES } from '../src/policy-files';
import { POLICIES_DIR, policyFilesOnDisk, resource, resources, ROOT, synthPipeline } from './helpers';

// The comparison with policies/ runs for every file that exists there; a file another engineer
// has not written yet is reported as skipped (the stack then uses the test fixture instead).
const { tf } = synthPipeline();
const onDisk = policyFilesOnDisk();

const SCOPES: [keyof typeof POLICY_FILES, string, string][] = [
  ['global', 'azurerm_api_management_policy', 'global-policy'],
  ['product', 'azurerm_api_management_product_policy', 'product-policy'],
  ['api', 'azurerm_api_management_api_policy', 'api-policy'],
  ['operation', 'azurerm_api_management_api_operation_policy', 'operation-policy'],
];

describe.each(SCOPES)('the %s policy', (scope, type, id) => {
  const file = POLICY_FILES[scope].file;
  const present = onDisk[file] === true;

  (present ? test : test.skip)(`equals policies/${file} byte for byte`, () => {
    expect(resource(tf, type, `api-management/${id}`).xml_content).toBe(
      readFileSync(path.join(POLICIES_DIR, file), 'utf8'),
    );
  });

  if (!POLICY_FILES[scope].required) {
    test(`is deployed exactly when policies/${file} exists`, () => {
      expect(Object.keys(resources(tf, type))).toHaveLength(
        existsSync(path.join(POLICIES_DIR, file)) ? 1 : 0,
      );
    });
  }
});

describe('the APIM schema', () => {
  const schema = resource(tf, 'azurerm_api_management_global_schema');

  test('is tweet-event, JSON', () => {
    expect(schema).toMatchObject({ schema_id: 'tweet-event', type: 'json' });
  });

  const uploaded = fromDraft07(JSON.parse(String(schema.value)) as Record<string, never>) as Record<
    string,
    unknown
  >;
  const contract = readContract();
  const requestFile = path.join(ROOT, REQUEST_SCHEMA_PATH);

  (existsSync(requestFile) ? test : test.skip)(
    `is ${REQUEST_SCHEMA_PATH} exactly (renamed to draft-07 and back)`,
    () => {
      expect(uploaded).toEqual(JSON.parse(readFileSync(requestFile, 'utf8')));
    },
  );

  test('validates every element against the contract in schemas/: same event, same image definitions', () => {
    const { $schema: _s, $id: _i, $defs: contractDefs, ...event } = contract;
    if (!existsSync(requestFile)) {
      expect(uploaded).toEqual(contract);
      return;
    }
    const defs = uploaded.$defs as Record<string, unknown>;
    expect(defs.TweetEvent).toEqual(event);
    expect(defs.SatelliteImage).toEqual((contractDefs as Record<string, unknown>).SatelliteImage);
    expect(uploaded.then).toMatchObject({
      type: 'array',
      minItems: 1,
      items: { $ref: '#/$defs/TweetEvent' },
    });
    expect(uploaded.else).toEqual({ $ref: '#/$defs/TweetEvent' });
  });
});
