import { acceptedCase, basic, rejectedCases, type Credentials } from '../src/auth/cases';
import { judgeRejection } from '../src/auth/scenario';

const credentials: Credentials = {
  subscriptionKey: 'k'.repeat(32),
  basicAuth: { user: 'producer', password: 'secret' },
  otherProductKey: 'o'.repeat(32),
  suspendedKey: 's'.repeat(32),
};

it('gets exactly one credential wrong in each rejected case, so each 401 has one cause', () => {
  const right = acceptedCase(credentials).headers;
  for (const authCase of rejectedCases(credentials).filter((c) => c.via === 'gateway')) {
    const wrong = ['ocp-apim-subscription-key', 'authorization'].filter(
      (name) => authCase.headers[name] !== right[name],
    );
    expect([authCase.name, wrong.length]).toEqual([authCase.name, 1]);
  }
  expect(right.authorization).toBe(basic('producer', 'secret'));
});

describe('judgeRejection', () => {
  const [noKey] = rejectedCases(credentials);
  const apim = JSON.stringify({ statusCode: 401, message: 'Access denied due to missing subscription key.' });
  it('wants the status, APIM error body and a Basic challenge from the gateway', () => {
    expect(judgeRejection(noKey!, { status: 401, text: apim, wwwAuthenticate: 'Basic realm="ingest"' })).toBe(
      undefined,
    );
    expect(judgeRejection(noKey!, { status: 202, text: '{}', wwwAuthenticate: null })).toMatch(
      /^202 instead/,
    );
    expect(judgeRejection(noKey!, { status: 401, text: 'no', wwwAuthenticate: 'Basic x' })).toMatch(
      /not JSON/,
    );
    expect(judgeRejection(noKey!, { status: 401, text: apim, wwwAuthenticate: null })).toMatch(/challenge/);
  });
  it('wants only the status from the functions host', () => {
    const direct = rejectedCases(credentials).find((c) => c.via === 'functions')!;
    expect(judgeRejection(direct, { status: 401, text: '', wwwAuthenticate: null })).toBeUndefined();
  });
});
