import { createHmac, timingSafeEqual } from 'node:crypto';

/** A shared access policy of the namespace: the key name (`skn`) and its key. */
export interface SharedAccessKey {
  readonly name: string;
  readonly key: string;
}

export type SasCheck =
  { readonly ok: true } | { readonly ok: false; readonly status: 400 | 401; readonly description: string };

/**
 * The service's answers on `$cbs` put-token. A token signed with a wrong key, or naming a policy the
 * namespace does not have, gets status-code 401 and this description (the text the service sends,
 * followed there by a TrackingId; seen verbatim in client logs such as Service Bus Explorer's). The
 * SDK turns a non-2xx put-token reply into a MessagingError (@azure/core-amqp src/cbs.ts
 * `_fromRheaMessageResponse` + `translate`): the sender or receiver never opens.
 */
export const INVALID_SIGNATURE = 'InvalidSignature: The token has an invalid signature.';
export const EXPIRED_TOKEN = 'ExpiredToken: The token is expired.';

/**
 * Checks a `SharedAccessSignature sr=<resource>&sig=<signature>&se=<expiry>&skn=<key name>` token as
 * the service does: the signature is the base64 HMAC-SHA256, keyed with the policy's key (its UTF-8
 * bytes), of `<sr as it appears in the token, URL-encoded>\n<se>` (the signing side is
 * @azure/core-amqp src/auth/tokenProvider.ts `createToken`; the format is documented at
 * https://learn.microsoft.com/azure/event-hubs/authenticate-shared-access-signature).
 * `keys` undefined accepts any well-formed, unexpired token (the emulator's explicit `acceptAnyKey`).
 */
export function checkSasToken(
  token: string,
  keys: readonly SharedAccessKey[] | undefined,
  now = Date.now(),
): SasCheck {
  if (!token.startsWith('SharedAccessSignature '))
    return { ok: false, status: 400, description: 'the SAS token is malformed' };
  const raw = new Map<string, string>();
  for (const part of token.slice('SharedAccessSignature '.length).trim().split('&')) {
    const at = part.indexOf('=');
    if (at > 0) raw.set(part.slice(0, at), part.slice(at + 1));
  }
  const sr = raw.get('sr');
  const sig = raw.get('sig');
  const se = raw.get('se');
  const skn = raw.get('skn');
  if (!sr || !sig || !se || !/^\d+$/.test(se))
    return { ok: false, status: 400, description: 'the SAS token is malformed' };
  if (Number(se) * 1000 < now) return { ok: false, status: 401, description: EXPIRED_TOKEN };
  if (keys === undefined) return { ok: true };
  const policy = keys.find((k) => k.name === (skn === undefined ? undefined : safeDecode(skn)));
  if (!policy) return { ok: false, status: 401, description: INVALID_SIGNATURE };
  const expected = createHmac('sha256', policy.key).update(`${sr}\n${se}`).digest();
  const given = Buffer.from(safeDecode(sig), 'base64');
  const matches = given.length === expected.length && timingSafeEqual(given, expected);
  return matches ? { ok: true } : { ok: false, status: 401, description: INVALID_SIGNATURE };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
