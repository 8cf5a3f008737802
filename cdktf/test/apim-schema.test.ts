import { DRAFT_07, fromDraft07, readContract, SchemaConversionError, toDraft07 } from '../src/apim-schema';

const contract = readContract();

describe('the contract as uploaded to API Management', () => {
  const draft07 = toDraft07(contract);

  test('declares draft-07 and uses definitions instead of $defs', () => {
    expect(draft07.$schema).toBe(DRAFT_07);
    expect(draft07).not.toHaveProperty('$defs');
    expect(Object.keys(draft07.definitions as object)).toEqual(Object.keys(contract.$defs as object));
    expect(JSON.stringify(draft07)).not.toContain('#/$defs/');
    expect(JSON.stringify(draft07)).toContain('"$ref":"#/definitions/SatelliteImage"');
  });

  test('is lossless: renaming back gives the contract file exactly', () => {
    expect(fromDraft07(draft07)).toEqual(contract);
    expect(JSON.stringify(fromDraft07(draft07))).toBe(JSON.stringify(contract));
  });

  test('keeps every constraint (required, additionalProperties, patterns, ranges)', () => {
    expect(draft07.required).toEqual(contract.required);
    expect(draft07.additionalProperties).toBe(false);
    const { image: convertedImage, ...convertedRest } = draft07.properties as Record<string, unknown>;
    const { image, ...rest } = contract.properties as Record<string, unknown>;
    expect(convertedRest).toEqual(rest);
    expect(image).toEqual({ $ref: '#/$defs/SatelliteImage' });
    expect(convertedImage).toEqual({ $ref: '#/definitions/SatelliteImage' });
    expect((draft07.definitions as Record<string, unknown>).SatelliteImage).toEqual(
      (contract.$defs as Record<string, unknown>).SatelliteImage,
    );
  });

  test.each(['prefixItems', 'unevaluatedProperties', 'dependentRequired', '$dynamicRef'])(
    'refuses a contract using %s, which draft-07 cannot express',
    (keyword) => {
      const changed = {
        ...contract,
        properties: { ...(contract.properties as object), extra: { [keyword]: {} } },
      };
      expect(() => toDraft07(changed)).toThrow(SchemaConversionError);
      expect(() => toDraft07(changed)).toThrow(
        `#/properties/extra/${keyword}: '${keyword}' has no draft-07 equivalent`,
      );
    },
  );

  test('refuses keywords next to $ref, which draft-07 would ignore', () => {
    expect(() =>
      toDraft07({ ...contract, properties: { x: { $ref: '#/$defs/SatelliteImage', maxLength: 3 } } }),
    ).toThrow(/next to \$ref/);
  });

  test('refuses remote references and another draft', () => {
    expect(() =>
      toDraft07({ ...contract, properties: { x: { $ref: 'https://example.com/s.json' } } }),
    ).toThrow(/only local references/);
    expect(() => toDraft07({ ...contract, $schema: DRAFT_07 })).toThrow(/expected \$schema/);
  });
});
