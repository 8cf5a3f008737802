import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildIngestRequestSchema } from '@pipeline/schemas';
import { MissingRequestSchemaError, readRequestSchema, REQUEST_SCHEMA_PATH } from '../src/apim-schema';

// Synthesis uploads the generated request schema (one event or a batch). It once fell back to the
// single-event contract when the file was missing, which would make APIM refuse every batch the local
// gateway accepts; a missing file must stop synthesis and say how to generate it.
describe('the request schema synthesis uploads', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'request-schema-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  test('a missing generated file is an error naming the file and the command', () => {
    let error: unknown;
    try {
      readRequestSchema(root);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MissingRequestSchemaError);
    expect((error as Error).message).toContain(REQUEST_SCHEMA_PATH);
    expect((error as Error).message).toContain('npm run -w local/gateway generate');
    expect((error as MissingRequestSchemaError).lookedIn).toBe(path.join(root, REQUEST_SCHEMA_PATH));
  });

  test('the generated file is read as it is, not replaced by the contract', () => {
    const file = path.join(root, REQUEST_SCHEMA_PATH);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ title: 'marker' }));
    expect(readRequestSchema(root)).toEqual({ schema: { title: 'marker' }, source: REQUEST_SCHEMA_PATH });
  });

  test("the repository's file is the contract's generation (batch or single event)", () => {
    const { schema } = readRequestSchema();
    expect(schema).toEqual(JSON.parse(JSON.stringify(buildIngestRequestSchema())));
    expect(schema).toMatchObject({ then: { type: 'array' }, else: { $ref: '#/$defs/TweetEvent' } });
  });
});
