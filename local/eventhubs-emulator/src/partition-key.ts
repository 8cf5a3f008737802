/**
 * Maps a partition key to a partition the way Event Hubs does: Bob Jenkins' lookup3
 * `hashlittle2` over the key's UTF-8 bytes (both seeds 0), the two 32-bit results XORed and
 * narrowed to a signed 16-bit value, then `abs(hash % partitionCount)`. The SDK's buffered
 * producer uses the same rule, so a key lands on the partition a client would predict.
 */
export function partitionForKey(partitionKey: string, partitionCount: number): number {
  const { b, c } = hashlittle2(Buffer.from(partitionKey, 'utf8'));
  const h16 = (((c ^ b) << 16) >> 16) | 0;
  return Math.abs(h16 % partitionCount);
}

const rot = (x: number, k: number) => (x << k) | (x >>> (32 - k));

/** lookup3's hashlittle2 with zero seeds; returns the primary (c) and secondary (b) hash. */
export function hashlittle2(key: Buffer): { b: number; c: number } {
  let a = (0xdeadbeef + key.length) | 0;
  let b = a;
  let c = a;
  let i = 0;
  let left = key.length;
  while (left > 12) {
    a = (a + key.readInt32LE(i)) | 0;
    b = (b + key.readInt32LE(i + 4)) | 0;
    c = (c + key.readInt32LE(i + 8)) | 0;
    // mix(a, b, c)
    a = (a - c) | 0;
    a ^= rot(c, 4);
    c = (c + b) | 0;
    b = (b - a) | 0;
    b ^= rot(a, 6);
    a = (a + c) | 0;
    c = (c - b) | 0;
    c ^= rot(b, 8);
    b = (b + a) | 0;
    a = (a - c) | 0;
    a ^= rot(c, 16);
    c = (c + b) | 0;
    b = (b - a) | 0;
    b ^= rot(a, 19);
    a = (a + c) | 0;
    c = (c - b) | 0;
    c ^= rot(b, 4);
    b = (b + a) | 0;
    i += 12;
    left -= 12;
  }
  if (left === 0) return { b: b >>> 0, c: c >>> 0 };
  // The last 1..12 bytes, little-endian into a, b, c (missing bytes count as zero).
  const word = (off: number) => {
    let w = 0;
    for (let k = 3; k >= 0; k--) w = (w << 8) | (off + k < i + left ? key[off + k]! : 0);
    return w | 0;
  };
  a = (a + word(i)) | 0;
  if (left > 4) b = (b + word(i + 4)) | 0;
  if (left > 8) c = (c + word(i + 8)) | 0;
  // final(a, b, c)
  c ^= b;
  c = (c - rot(b, 14)) | 0;
  a ^= c;
  a = (a - rot(c, 11)) | 0;
  b ^= a;
  b = (b - rot(a, 25)) | 0;
  c ^= b;
  c = (c - rot(b, 16)) | 0;
  a ^= c;
  a = (a - rot(c, 4)) | 0;
  b ^= a;
  b = (b - rot(a, 14)) | 0;
  c ^= b;
  c = (c - rot(b, 24)) | 0;
  return { b: b >>> 0, c: c >>> 0 };
}
