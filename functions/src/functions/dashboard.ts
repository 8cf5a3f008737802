import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { loadAssets } from '../lib/dashboard-assets';
import { errorResponse } from '../lib/responses';

/**
 * The page may load only its own files and talk only to its own origin; it is never framed, never
 * sniffed, and never sends a Referer (the function key lives in the URL fragment, which browsers do not
 * send anyway, but the page's URL should not leak either).
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/**
 * GET /api/dashboard/ and its files. Anonymous on purpose: these are the same static files for everyone
 * and carry no data; the data routes (stats, images) keep `authLevel: function`, and the page sends the
 * key that the person put in its URL fragment (`/api/dashboard/#key=...`).
 */
export function dashboard(request: HttpRequest): HttpResponseInit {
  const requested = request.params.asset ?? '';
  const path = new URL(request.url).pathname;
  // The page uses relative URLs (`app.js`, `../stats`), so it must be addressed as a folder; this also
  // keeps it working behind a gateway that adds a path prefix.
  if (requested === '' && !path.endsWith('/')) {
    const last = path.split('/').filter(Boolean).pop() ?? 'dashboard';
    return { status: 308, headers: { location: `${last}/${new URL(request.url).search}` } };
  }
  const assets = loadAssets();
  if (!assets)
    return errorResponse(503, {
      error: 'DashboardNotBuilt',
      message:
        'The dashboard page is not built: run `npm run -w functions build:dashboard` (the deployment package includes it).',
    });
  const asset = assets.get(requested === '' ? 'index.html' : requested);
  if (!asset)
    return errorResponse(404, { error: 'NotFound', message: `No dashboard file named ${requested}` });
  const headers: Record<string, string> = {
    ...SECURITY_HEADERS,
    'content-type': asset.contentType,
    etag: asset.etag,
    // Revalidate every time (cheap: 304 by ETag), so a deployment shows at once without hashed names.
    'cache-control': 'no-cache',
  };
  if (request.headers.get('if-none-match') === asset.etag) return { status: 304, headers };
  return { status: 200, headers, body: asset.body };
}

app.http('dashboard', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'dashboard/{*asset}',
  handler: dashboard,
});
