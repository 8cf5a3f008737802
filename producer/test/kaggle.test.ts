import { goog } from '../src';

describe('downloading a dataset from the Kaggle API', () => {
  it('reads the MD5 from x-goog-hash as kagglehub does', () => {
    expect(goog('crc32c=n03x6A==,md5=Ojk9c3dhfxgoKVVHYwFbHQ==', 'md5')).toBe('Ojk9c3dhfxgoKVVHYwFbHQ==');
    expect(goog('crc32c=n03x6A==', 'md5')).toBeUndefined();
    expect(goog(null, 'md5')).toBeUndefined();
  });
});
