import { readFileSync } from 'node:fs';
import { deriveEventId, validateTweetEvent, type TweetEvent } from '@pipeline/schemas';

/** The committed sample (one contract-valid event per line), checked so a bad sample fails loudly. */
export function loadSampleEvents(file: string): TweetEvent[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      const result = validateTweetEvent(JSON.parse(line));
      if (!result.ok) throw new Error(`${file}:${i + 1} breaks the contract: ${result.errors[0]?.message}`);
      return result.value;
    });
}

/**
 * The `slot`-th event of request `request`, built from a sample event with a tweet id of its own and
 * the id derived from it. Every request thus carries ids no other request uses, so the audit can tell
 * exactly which request put an event on the hub, and a mutation that leaves an event valid (a new
 * `createdAt`, say) cannot overwrite another request's event under the same id.
 */
export function freshEvent(samples: readonly TweetEvent[], request: number, slot: number): TweetEvent {
  const sample = samples[(request * 7 + slot) % samples.length]!;
  // 19 digits, well inside the contract's 1..20.
  const tweetId = String(8_000_000_000_000_000_000n + BigInt(request) * 1_000n + BigInt(slot));
  const event = structuredClone(sample) as TweetEvent & { tweetId: string; id: string };
  event.tweetId = tweetId;
  event.id = deriveEventId({ tweetId, createdAt: event.createdAt, text: event.text });
  return event;
}
