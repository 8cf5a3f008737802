import { azuriteOutage, cosmosOutage } from '../src/scenarios/store-outages';

const say = process.env.FAULTS_DEBUG ? (line: string) => process.stderr.write(`${line}\n`) : () => undefined;

describe('stores going away mid-stream', () => {
  it('loses nothing when Cosmos DB is unavailable for 10 s: the consumer retries, the API keeps accepting', async () => {
    const result = await cosmosOutage.run({ say });
    expect(result.failures).toEqual([]);
    expect(result).toMatchObject({ offered: 3000, accepted: 3000, stored: 3000, lost: [], duplicated: [] });
  }, 300_000);

  it('loses nothing when Azurite is unavailable for 10 s: ingest answers 503 and the producer retries', async () => {
    const result = await azuriteOutage.run({ say });
    expect(result.failures).toEqual([]);
    expect(result.statuses['503']).toBeGreaterThan(0);
    expect(result.statuses['500']).toBeUndefined();
    expect(result).toMatchObject({ offered: 3000, accepted: 3000, stored: 3000, lost: [], duplicated: [] });
  }, 300_000);
});
