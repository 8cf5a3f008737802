// How the real Functions host turns an HTTP request into the worker's RpcHttp message: the query,
// the headers and whether the body is forwarded at all. Pure functions, so each rule is pinned by a
// unit test as well as through the running host.
//
// Source: Azure/azure-functions-host, src/WebJobs.Script.Grpc/MessageExtensions/
// GrpcMessageConversionExtensions.cs, `ToRpcHttp`. The Node.js worker declares the capability
// `UseNullableValueDictionaryForHttp` (azure-functions-nodejs-worker,
// src/eventHandlers/getWorkerCapabilities.ts), so the host fills `nullableQuery`/`nullableHeaders` with every key and
// `pair.Value.ToString()`, empty values included.

/**
 * Whether the host forwards the body: only when the request declares `Content-Length` > 0
 * (`request.Body != null && request.ContentLength > 0` in ToRpcHttp). A chunked request has no
 * Content-Length, so its body never reaches the worker, whatever its size (azure-functions-host
 * #7930 and #4926; azure-functions-nodejs-library #171). `Content-Length: 0` forwards nothing either.
 */
export function forwardsBody(contentLength: string | undefined): boolean {
  const declared = declaredLength(contentLength);
  return declared !== undefined && declared > 0;
}

/** The declared Content-Length as a number, or undefined when absent or not a plain non-negative integer. */
export function declaredLength(contentLength: string | undefined): number | undefined {
  if (contentLength === undefined || !/^\d+$/.test(contentLength.trim())) return undefined;
  return Number(contentLength.trim());
}

/**
 * The query as the host sends it: ASP.NET Core's QueryCollection (keys compared case-insensitively,
 * `+` as space, percent-decoding, empty `&&` segments skipped; dotnet/aspnetcore
 * src/Http/Http/src/Features/QueryFeature.cs and src/Shared/QueryStringEnumerable.cs) flattened with
 * StringValues.ToString(), which joins repeated values with a bare `,` and skips empty ones
 * (dotnet/runtime src/libraries/Microsoft.Extensions.Primitives/src/StringValues.cs). So
 * `?a=1&a=2` reaches `request.query.get('a')` as `1,2`, never as `2` (last one wins) or `1`.
 */
export function rpcQuery(search: string): Record<string, string> {
  const groups = new Map<string, { key: string; values: string[] }>();
  const text = search.startsWith('?') ? search.slice(1) : search;
  for (const segment of text.split('&')) {
    if (segment === '') continue;
    const equals = segment.indexOf('=');
    const rawName = equals < 0 ? segment : segment.slice(0, equals);
    const rawValue = equals < 0 ? '' : segment.slice(equals + 1);
    // QueryStringEnumerable skips whitespace before a name that has a value.
    const name = decodeQueryPart(equals < 0 ? rawName : rawName.trimStart());
    const value = decodeQueryPart(rawValue);
    const folded = name.toLowerCase();
    const group = groups.get(folded);
    if (!group) groups.set(folded, { key: name, values: [value] });
    else {
      // The accumulator re-stores a repeated key under the spelling of its second occurrence
      // (AdaptiveCapacityDictionary's indexer replaces the key); later spellings do not change it.
      if (group.values.length === 1) group.key = name;
      group.values.push(value);
    }
  }
  const query: Record<string, string> = {};
  for (const { key, values } of groups.values()) query[key] = joinStringValues(values);
  return query;
}

/**
 * The headers as the host sends them: names lower-cased, every value of a repeated header kept
 * (Kestrel appends them to one StringValues) and joined by StringValues.ToString() with a bare `,`
 * (empty values skipped). Node's own `req.headers` joins with `, ` and silently keeps only the first
 * of a repeated Content-Type, Authorization, User-Agent and a few others; `headersDistinct` has them all.
 */
export function rpcHeaders(
  distinct: Readonly<Record<string, readonly string[] | undefined>>,
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(distinct)) {
    if (values !== undefined) headers[name.toLowerCase()] = joinStringValues(values);
  }
  return headers;
}

/** Microsoft.Extensions.Primitives StringValues.ToString(): one value as is; several joined by `,`, empty ones skipped. */
export function joinStringValues(values: readonly string[]): string {
  if (values.length === 1) return values[0]!;
  return values.filter((value) => value !== '').join(',');
}

/** `+` is a space; valid percent-escapes decode; an invalid escape stays as written (as Uri.UnescapeDataString). */
function decodeQueryPart(text: string): string {
  return text.replace(/\+/g, ' ').replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}
