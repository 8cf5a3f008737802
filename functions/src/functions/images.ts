import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { IMAGE_NAME } from '../shared/dashboard-model';
import { blobContainer } from '../lib/clients';
import { errorResponse, serviceUnavailable } from '../lib/responses';
import { containers } from '../lib/settings';

/**
 * GET /api/images/<sha256>.jpeg: one satellite image from the images container, for the dashboard's
 * thumbnails. Images are content-addressed (the name is the hash of the bytes), so a name always means
 * the same bytes: the answer is cacheable forever, and the hash is the ETag. `private`: the route needs
 * the function key, so shared caches must not keep it.
 */
export async function images(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const name = request.params.name ?? '';
  if (!IMAGE_NAME.test(name))
    return errorResponse(400, {
      error: 'InvalidImageName',
      message: 'An image name is 64 lowercase hex characters (its SHA-256) followed by .jpeg',
      errors: [{ path: '$.params.name', message: 'must match ^[0-9a-f]{64}\\.jpeg$' }],
    });
  const etag = `"${name.slice(0, 64)}"`;
  const cacheHeaders = { etag, 'cache-control': 'private, max-age=31536000, immutable' };
  if (request.headers.get('if-none-match') === etag) return { status: 304, headers: cacheHeaders };
  try {
    const body = await blobContainer(containers.images()).getBlobClient(name).downloadToBuffer();
    return {
      status: 200,
      headers: { ...cacheHeaders, 'content-type': 'image/jpeg', 'x-content-type-options': 'nosniff' },
      body,
    };
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404)
      return errorResponse(404, { error: 'NotFound', message: `No image named ${name}` });
    context.error(
      `images: reading ${name} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    return serviceUnavailable('Blob Storage is unavailable; try again shortly.');
  }
}

app.http('images', {
  methods: ['GET'],
  authLevel: 'function',
  route: 'images/{name}',
  handler: images,
});
