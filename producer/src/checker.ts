import { createHash } from 'node:crypto';
import { validateTweetEvent, type TweetEvent, type ValidationResult } from '@pipeline/schemas';

// Valid base64 of three zero bytes: stands in for image data that has already passed the validator.
const CHECKED_DATA = 'AAAA';
const MAX_REMEMBERED = 200_000;

/**
 * The shared validator, with each distinct image checked in full once. Checking the base64 pattern
 * and length of a 12 KB image costs ~100 µs, most of the validation; the dataset reuses each of its
 * 23,000 images ~6 times. So the first event carrying an image is validated as it is, and later
 * events with the same image bytes (by SHA-1, ~15 µs) are validated with the image data replaced by
 * a placeholder: every field of every event still goes through the shared validator, and every
 * image's bytes have gone through it once.
 */
export class EventChecker {
  readonly #checkedImages = new Set<string>();

  check(value: unknown): ValidationResult<TweetEvent> {
    const image = (value as { image?: { data?: unknown } } | null)?.image;
    const data = image?.data;
    if (typeof data !== 'string' || data.length < 1024) return validateTweetEvent(value);
    const key = createHash('sha1').update(data).digest('base64');
    if (this.#checkedImages.has(key)) {
      const result = validateTweetEvent({ ...(value as object), image: { ...image, data: CHECKED_DATA } });
      return result.ok ? { ok: true, value: value as TweetEvent } : result;
    }
    const result = validateTweetEvent(value);
    if (result.ok) {
      if (this.#checkedImages.size >= MAX_REMEMBERED) this.#checkedImages.clear();
      this.#checkedImages.add(key);
    }
    return result;
  }
}
