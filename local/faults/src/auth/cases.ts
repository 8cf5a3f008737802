/** One request of the authentication matrix, and the status the API must answer. */
export interface AuthCase {
  readonly name: string;
  /** `gateway`: the public API; `functions`: the functions host straight, past the gateway. */
  readonly via: 'gateway' | 'functions';
  readonly headers: Readonly<Record<string, string>>;
  readonly status: number;
}

export interface Credentials {
  readonly subscriptionKey: string;
  readonly basicAuth: { readonly user: string; readonly password: string };
  /** An active subscription's key, valid, but for a product that does not hold the ingest API. */
  readonly otherProductKey: string;
  /** The key of a suspended subscription to the ingest product. */
  readonly suspendedKey: string;
}

export const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;

/**
 * Every way to get the credentials wrong, each answered 401 (APIM: missing or invalid subscription
 * key, check-header's configured 401; the Functions host: authLevel function without its key).
 */
export function rejectedCases(credentials: Credentials): AuthCase[] {
  const key = { 'ocp-apim-subscription-key': credentials.subscriptionKey };
  const { user, password } = credentials.basicAuth;
  const authorization = { authorization: basic(user, password) };
  const viaGateway = (name: string, headers: Record<string, string>): AuthCase => ({
    name,
    via: 'gateway',
    headers,
    status: 401,
  });
  return [
    viaGateway('no subscription key', authorization),
    viaGateway('a wrong subscription key', { ...authorization, 'ocp-apim-subscription-key': 'f'.repeat(32) }),
    viaGateway('a valid key of another product', {
      ...authorization,
      'ocp-apim-subscription-key': credentials.otherProductKey,
    }),
    viaGateway('the key of a suspended subscription', {
      ...authorization,
      'ocp-apim-subscription-key': credentials.suspendedKey,
    }),
    viaGateway('no basic auth', key),
    viaGateway('a wrong basic-auth password', { ...key, authorization: basic(user, `${password}x`) }),
    viaGateway('a wrong basic-auth user', { ...key, authorization: basic(`${user}x`, password) }),
    viaGateway('basic auth in another scheme', { ...key, authorization: `Bearer ${password}` }),
    { name: 'the functions host without the function key', via: 'functions', headers: {}, status: 401 },
    {
      name: 'the functions host with a wrong function key',
      via: 'functions',
      headers: { 'x-functions-key': 'wrong' },
      status: 401,
    },
  ];
}

/** The same request with the right credentials: it must be accepted, or the matrix proves nothing. */
export function acceptedCase(credentials: Credentials): AuthCase {
  return {
    name: 'the right subscription key and basic auth',
    via: 'gateway',
    headers: {
      'ocp-apim-subscription-key': credentials.subscriptionKey,
      authorization: basic(credentials.basicAuth.user, credentials.basicAuth.password),
    },
    status: 202,
  };
}
