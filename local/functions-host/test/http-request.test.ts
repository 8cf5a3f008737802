import { parseCliArgs } from '../src/cli';
import { errorDetailsFromEnv, failureResponse } from '../src/http-failure';
import { declaredLength, forwardsBody, joinStringValues, rpcHeaders, rpcQuery } from '../src/http-request';

// The real host's request conversion (azure-functions-host GrpcMessageConversionExtensions.ToRpcHttp)
// and failure answer (ExceptionMiddleware), rule by rule. The same rules run through a real host in
// http.e2e.test.ts.

describe('which bodies the host forwards (Content-Length > 0 only)', () => {
  it.each([
    [undefined, false],
    ['0', false],
    ['', false],
    ['abc', false],
    ['-1', false],
    ['1', true],
    ['104857600', true],
    [' 12 ', true],
  ] as const)('Content-Length %p forwards the body: %p', (header, forwarded) => {
    expect(forwardsBody(header)).toBe(forwarded);
  });

  it('reads a declared length only from a plain non-negative integer', () => {
    expect(declaredLength('42')).toBe(42);
    expect(declaredLength('4e2')).toBeUndefined();
    expect(declaredLength('0x10')).toBeUndefined();
  });
});

describe('the query as RpcHttp.query (ASP.NET Core QueryCollection, StringValues.ToString)', () => {
  it('joins the values of a repeated key with a bare comma, in order', () => {
    expect(rpcQuery('?a=1&a=2')).toEqual({ a: '1,2' });
    expect(rpcQuery('?a=1&b=x&a=2&a=3')).toEqual({ a: '1,2,3', b: 'x' });
  });

  it('skips empty values when joining, but keeps a key whose only value is empty', () => {
    expect(rpcQuery('?a=1&a=&a=2')).toEqual({ a: '1,2' });
    expect(rpcQuery('?flag&empty=')).toEqual({ flag: '', empty: '' });
    expect(rpcQuery('?a=&a=')).toEqual({ a: '' });
  });

  it('compares keys case-insensitively, keeping the spelling of the second occurrence', () => {
    expect(rpcQuery('?Id=1&ID=2&id=3')).toEqual({ ID: '1,2,3' });
    expect(rpcQuery('?Key=1')).toEqual({ Key: '1' });
  });

  it('decodes + and percent-escapes, keeps a broken escape as written, skips empty segments', () => {
    expect(rpcQuery('?q=a+b%20c&x=%E2%9C%93&&y=%zz&z=100%')).toEqual({
      q: 'a b c',
      x: '✓',
      y: '%zz',
      z: '100%',
    });
    expect(rpcQuery('')).toEqual({});
    expect(rpcQuery('?')).toEqual({});
  });

  it('gives the handler `1,2` through URLSearchParams, as @azure/functions builds request.query', () => {
    // The library builds `request.query` as new URLSearchParams(<RpcHttp query>).
    const query = new URLSearchParams(rpcQuery('?a=1&a=2'));
    expect(query.get('a')).toBe('1,2');
    expect(query.getAll('a')).toEqual(['1,2']);
  });
});

describe('the headers as RpcHttp.headers', () => {
  it('lower-cases names and joins a repeated header with a bare comma, empty values skipped', () => {
    expect(
      rpcHeaders({ 'X-Custom': ['a', 'b'], accept: ['*/*'], 'x-empty': [''], 'x-gap': ['1', '', '2'] }),
    ).toEqual({ 'x-custom': 'a,b', accept: '*/*', 'x-empty': '', 'x-gap': '1,2' });
  });

  it('matches StringValues.ToString for one, several and no non-empty values', () => {
    expect(joinStringValues(['only'])).toBe('only');
    expect(joinStringValues(['a', 'b', 'c'])).toBe('a,b,c');
    expect(joinStringValues(['', ''])).toBe('');
  });
});

describe('a failed invocation answers 500', () => {
  it('with an empty body and no extra headers by default, as Azure', () => {
    expect(failureResponse('id-1', new Error('boom'), false)).toEqual({ status: 500, headers: {}, body: '' });
  });

  it('with the error and the invocation id only when error details are asked for', () => {
    const failure = failureResponse('id-2', new Error('boom'), true);
    expect(failure.status).toBe(500);
    expect(failure.headers['x-invocation-id']).toBe('id-2');
    expect(JSON.parse(failure.body)).toMatchObject({
      error: 'InternalServerError',
      message: 'boom',
      invocationId: 'id-2',
    });
  });

  it('turns error details on by --error-details or FUNCTIONS_HOST_ERROR_DETAILS, off otherwise', () => {
    const base = ['--app', 'a.js', '--settings', 's.json'];
    const options = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
      const parsed = parseCliArgs(argv, env);
      if (!('options' in parsed)) throw new Error(`unexpected: ${JSON.stringify(parsed)}`);
      return parsed.options;
    };
    expect(options(base)).not.toHaveProperty('errorDetails');
    expect(options([...base, '--error-details'])).toMatchObject({ errorDetails: true });
    expect(options(base, { FUNCTIONS_HOST_ERROR_DETAILS: '1' })).toMatchObject({ errorDetails: true });
    expect(options(base, { FUNCTIONS_HOST_ERROR_DETAILS: '0' })).not.toHaveProperty('errorDetails');
    expect(['1', 'true', 'YES', 'on'].every(errorDetailsFromEnv)).toBe(true);
    expect(['', '0', 'false', 'off', undefined].some(errorDetailsFromEnv)).toBe(false);
  });
});
