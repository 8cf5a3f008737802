/**
 * JSON text with holes: JSON.stringify cannot write a duplicate key, a 100,000-deep array or a number
 * spelled `1e400`, yet those are exactly what a hostile client sends. A value wrapped in `raw()` is
 * written verbatim into the text in place of a placeholder string.
 */
const MARK = '\u0000raw:';

export interface RawJson {
  readonly rawJson: string;
}

export const raw = (text: string): RawJson => ({ rawJson: text });

function isRaw(value: unknown): value is RawJson {
  return typeof value === 'object' && value !== null && 'rawJson' in value;
}

/** JSON.stringify, except that `raw()` values are written as their text. */
export function writeJson(value: unknown): string {
  const fragments: string[] = [];
  const text = JSON.stringify(value, (_key, item: unknown) => {
    if (!isRaw(item)) return item;
    fragments.push(item.rawJson);
    return `${MARK}${fragments.length - 1}`;
  });
  // Placeholders are JSON strings, so they appear quoted and with the NUL escaped.
  return text.replace(/"\\u0000raw:(\d+)"/g, (_match, index: string) => fragments[Number(index)]!);
}

/** `depth` nested arrays or objects around a number: `[[[1]]]` or `{"a":{"a":1}}`. */
export function nested(depth: number, shape: 'array' | 'object'): RawJson {
  return shape === 'array'
    ? raw('['.repeat(depth) + '1' + ']'.repeat(depth))
    : raw('{"a":'.repeat(depth) + '1' + '}'.repeat(depth));
}

/**
 * Adds a second member `"key": value` to the first object that opens at `objectStart` (the offset of
 * its `{`): `first` puts the new member before the existing ones, so the original wins under
 * JSON.parse's last-one-wins rule; otherwise it goes last and wins itself.
 */
export function duplicateMember(
  text: string,
  objectStart: number,
  key: string,
  valueText: string,
  first: boolean,
): string {
  const member = `${JSON.stringify(key)}:${valueText}`;
  if (first) return `${text.slice(0, objectStart + 1)}${member},${text.slice(objectStart + 1)}`;
  const end = closingBrace(text, objectStart);
  return `${text.slice(0, end)},${member}${text.slice(end)}`;
}

/** The offset of the `}` that closes the object opening at `start`, skipping strings. */
function closingBrace(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i;
    }
  }
  throw new Error(`no closing brace for the object at ${start}`);
}
