// The two time formats of the Kaggle file versions: ISO-like `2017-08-25 20:05:00` and US
// `8/25/2017 20:05`. Neither carries a zone; Twitter's API reports UTC, so both are read as UTC.
const ISO_LIKE = /^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]00:?00)?$/;
const US = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?$/;

/** Parses a source timestamp into ISO 8601 UTC with seconds (`2017-08-25T20:05:00Z`), or undefined. */
export function parseTweetTime(raw: string): string | undefined {
  const text = raw.trim();
  const iso = ISO_LIKE.exec(text);
  const us = iso ? null : US.exec(text);
  // Year, month, day, hour, minute, second, from whichever form matched.
  const fields = iso
    ? [iso[1], iso[2], iso[3], iso[4], iso[5], iso[6]]
    : us
      ? [us[3], us[1], us[2], us[4], us[5], us[6]]
      : undefined;
  if (!fields) return undefined;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = fields.map((p) =>
    Number(p ?? '0'),
  );
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const date = new Date(ms);
  // Reject what Date.UTC would silently roll over (February 30th, 24:00, minute 61).
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    date.getUTCHours() !== hour ||
    date.getUTCMinutes() !== minute ||
    date.getUTCSeconds() !== second
  ) {
    return undefined;
  }
  return date.toISOString().replace('.000Z', 'Z');
}
