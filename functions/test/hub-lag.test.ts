/**
 * The lag is read for the consume trigger's own consumer group: with the connection set but
 * EVENTHUB_CONSUMER_GROUP missing, the reading says which setting is missing instead of measuring
 * another group (`$Default`) and reporting a lag that belongs to a different reader.
 */
import type { HubPartitionsResult } from '../src/lib/hub-lag';

/** A fresh copy of the module: its consumer client is cached per process. */
function freshHubLag(): { readHubPartitions(timeoutMs?: number): Promise<HubPartitionsResult> } {
  jest.resetModules();
  return jest.requireActual('../src/lib/hub-lag');
}

describe('hub lag settings', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    jest.resetModules();
  });

  it('names EVENTHUB_CONSUMER_GROUP when the connection is set but the group is not', async () => {
    process.env = { ...saved, EventHub__fullyQualifiedNamespace: 'example.servicebus.windows.net' };
    delete process.env.EVENTHUB_CONSUMER_GROUP;
    delete process.env.EventHub;
    const { readHubPartitions } = freshHubLag();
    await expect(readHubPartitions(100)).resolves.toEqual({
      ok: false,
      reason:
        'the Event Hubs connection is not configured (Missing app setting: set EVENTHUB_CONSUMER_GROUP)',
    });
  });

  it('names the connection settings when neither is set', async () => {
    process.env = { ...saved, EVENTHUB_CONSUMER_GROUP: 'cosmos-writer' };
    delete process.env.EventHub;
    delete process.env.EventHub__fullyQualifiedNamespace;
    const { readHubPartitions } = freshHubLag();
    await expect(readHubPartitions(100)).resolves.toEqual({
      ok: false,
      reason:
        'the Event Hubs connection is not configured (Missing app setting: set EventHub__fullyQualifiedNamespace or EventHub)',
    });
  });
});
