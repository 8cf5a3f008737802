import { readFileSync } from 'node:fs';
import { deriveEventId, type TweetEvent } from '@pipeline/schemas';
import { paths } from '@pipeline/stack';

let sample: TweetEvent[] | undefined;

function sampleEvents(): TweetEvent[] {
  sample ??= readFileSync(paths.sampleEvents, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as TweetEvent);
  return sample;
}

/**
 * `count` distinct contract-valid events for one scenario: the committed sample's events (images
 * included) cycled, each with its own tweet id under the scenario's prefix and the id the contract
 * derives from it, so two scenarios never share an id and a replay of the same scenario is
 * identical.
 */
export function scenarioEvents(scenarioNumber: number, count: number): TweetEvent[] {
  const base = sampleEvents();
  return Array.from({ length: count }, (_, i) => {
    const event = base[i % base.length]!;
    const tweetId = String(7_000_000_000_000_000_000n + BigInt(scenarioNumber) * 1_000_000_000n + BigInt(i));
    return { ...event, tweetId, id: deriveEventId({ ...event, tweetId }) };
  });
}
