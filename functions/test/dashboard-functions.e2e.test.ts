import { HttpRequest } from '@azure/functions';
import { images } from '../src/functions/images';
import { jpeg } from './events';
import { CONTAINERS, quietContext, startTestServices, type TestServices } from './support';
import { createHash } from 'node:crypto';

const get = (url: string, params: Record<string, string>, headers: Record<string, string> = {}) =>
  new HttpRequest({ method: 'GET', url, params, headers });

describe('images function on Azurite', () => {
  let services: TestServices;
  const bytes = jpeg(7);
  const name = `${createHash('sha256').update(bytes).digest('hex')}.jpeg`;

  beforeAll(async () => {
    services = await startTestServices();
    await services.blobs.getContainerClient(CONTAINERS.images).getBlockBlobClient(name).uploadData(bytes);
  }, 60_000);
  afterAll(() => services?.stop());

  it('serves the image bytes, cacheable forever by its content hash', async () => {
    const response = await images(get(`http://127.0.0.1/api/images/${name}`, { name }), quietContext());
    expect(response.status).toBe(200);
    expect(Buffer.from(response.body as Uint8Array).equals(bytes)).toBe(true);
    expect(response.headers).toMatchObject({
      'content-type': 'image/jpeg',
      etag: `"${name.slice(0, 64)}"`,
      'cache-control': 'private, max-age=31536000, immutable',
    });
    const revalidated = await images(
      get(`http://127.0.0.1/api/images/${name}`, { name }, { 'if-none-match': `"${name.slice(0, 64)}"` }),
      quietContext(),
    );
    expect(revalidated.status).toBe(304);
  });

  it('answers 404 for an image that is not stored and 400 for a name that is not an image name', async () => {
    const missing = `${'0'.repeat(64)}.jpeg`;
    expect((await images(get('http://127.0.0.1/', { name: missing }), quietContext())).status).toBe(404);
    for (const bad of ['../raw-events/x.json', 'x.jpeg', `${'0'.repeat(64)}.png`])
      expect((await images(get('http://127.0.0.1/', { name: bad }), quietContext())).status).toBe(400);
  });
});
