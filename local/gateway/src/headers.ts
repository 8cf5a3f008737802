/** An ordered, case-insensitive header list that keeps each name's original spelling. */
export class HeaderBag {
  private readonly entries = new Map<string, { name: string; values: string[] }>();

  static fromRaw(raw: readonly string[]): HeaderBag {
    const bag = new HeaderBag();
    for (let i = 0; i + 1 < raw.length; i += 2) bag.append(raw[i]!, raw[i + 1]!);
    return bag;
  }

  get(name: string): string[] | undefined {
    return this.entries.get(name.toLowerCase())?.values;
  }

  first(name: string): string | undefined {
    return this.get(name)?.[0];
  }

  has(name: string): boolean {
    return this.entries.has(name.toLowerCase());
  }

  set(name: string, values: readonly string[]): void {
    this.entries.set(name.toLowerCase(), { name, values: [...values] });
  }

  append(name: string, value: string): void {
    const entry = this.entries.get(name.toLowerCase());
    if (entry) entry.values.push(value);
    else this.entries.set(name.toLowerCase(), { name, values: [value] });
  }

  delete(name: string): void {
    this.entries.delete(name.toLowerCase());
  }

  /** Applies a set-header style change (https://learn.microsoft.com/azure/api-management/set-header-policy). */
  apply(name: string, action: 'override' | 'skip' | 'append' | 'delete', values: readonly string[]): void {
    if (action === 'delete') this.delete(name);
    else if (action === 'skip') {
      if (!this.has(name)) this.set(name, values);
    } else if (action === 'append') for (const value of values) this.append(name, value);
    else this.set(name, values);
  }

  toRecord(): Record<string, string | string[]> {
    const record: Record<string, string | string[]> = {};
    for (const { name, values } of this.entries.values())
      record[name] = values.length === 1 ? values[0]! : values;
    return record;
  }

  names(): string[] {
    return [...this.entries.values()].map((entry) => entry.name);
  }
}

/** Connection-level headers a proxy never forwards (RFC 9110 section 7.6.1). */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
]);
