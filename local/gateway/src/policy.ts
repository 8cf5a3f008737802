import { BlockList, isIP } from 'node:net';
import { PolicyError, type XmlElement } from './xml';
import { tierLimits, tiersFor, type Tier } from './tiers';

export type Scope = 'global' | 'product' | 'api' | 'operation';
export type Section = 'inbound' | 'backend' | 'outbound' | 'on-error';
export const SECTIONS: readonly Section[] = ['inbound', 'backend', 'outbound', 'on-error'];

export interface Source {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly scope: Scope;
}

export type HeaderAction = 'override' | 'skip' | 'append' | 'delete';
export type ValidationAction = 'ignore' | 'prevent' | 'detect';

export interface SetValueStatement {
  readonly name: string;
  readonly action: HeaderAction;
  readonly values: readonly string[];
}

export type Statement = { readonly source: Source } & (
  | { readonly kind: 'base' }
  | {
      readonly kind: 'cors';
      readonly allowCredentials: boolean;
      readonly terminateUnmatched: boolean;
      readonly origins: readonly string[];
      readonly methods: readonly string[];
      readonly maxAge: number;
      readonly headers: readonly string[];
      readonly exposeHeaders: readonly string[];
    }
  | { readonly kind: 'ip-filter'; readonly action: 'allow' | 'forbid'; readonly list: BlockList }
  | {
      readonly kind: 'check-header';
      readonly name: string;
      readonly status: number;
      readonly message: string;
      readonly ignoreCase: boolean;
      readonly values: readonly string[];
    }
  | {
      readonly kind: 'rate-limit';
      readonly calls: number;
      readonly periodSeconds: number;
      readonly retryAfterHeader: string;
      readonly remainingHeader?: string;
      readonly totalHeader?: string;
    }
  | {
      readonly kind: 'quota';
      readonly calls?: number;
      readonly bandwidthKb?: number;
      readonly periodSeconds: number;
    }
  | {
      readonly kind: 'validate-content';
      readonly unspecifiedAction: ValidationAction;
      readonly maxSize: number;
      readonly contents: readonly {
        readonly type: string;
        readonly schemaId: string;
        readonly action: ValidationAction;
      }[];
    }
  | ({ readonly kind: 'set-header' } & SetValueStatement)
  | ({ readonly kind: 'set-query-parameter' } & SetValueStatement)
  | { readonly kind: 'set-backend-service'; readonly baseUrl: string }
  | { readonly kind: 'forward-request'; readonly timeoutSeconds: number }
  | { readonly kind: 'set-status'; readonly code: number; readonly reason?: string }
  | {
      readonly kind: 'return-response';
      readonly status?: { readonly code: number; readonly reason?: string };
      readonly headers: readonly SetValueStatement[];
      readonly body?: string;
    }
);

export type StatementKind = Statement['kind'];
export type PolicyDocument = Readonly<Record<Section, readonly Statement[] | undefined>>;

export interface CompileContext {
  readonly scope: Scope;
  readonly namedValues: ReadonlyMap<string, string>;
  /** Backend entity ids (set-backend-service backend-id) to their base URLs. */
  readonly backends: ReadonlyMap<string, string>;
  /** APIM schema ids (validate-content schema-id) known to the instance. */
  readonly schemaIds: ReadonlySet<string>;
  readonly tier: Tier;
  readonly warn: (message: string) => void;
}

/**
 * Where each policy may appear. Sections and scopes are from each policy's Microsoft Learn page
 * ("Usage: Policy sections / Policy scopes"), e.g. https://learn.microsoft.com/azure/api-management/quota-policy
 * (inbound; product scope only) and https://learn.microsoft.com/azure/api-management/rate-limit-policy
 * (inbound; product, API, operation). A policy outside its scope is rejected by APIM on save.
 */
const PLACEMENT: Record<Exclude<StatementKind, 'base'>, { sections: Section[]; scopes: Scope[] }> = {
  cors: { sections: ['inbound'], scopes: ['global', 'product', 'api', 'operation'] },
  'ip-filter': { sections: ['inbound'], scopes: ['global', 'product', 'api', 'operation'] },
  'check-header': { sections: ['inbound'], scopes: ['global', 'product', 'api', 'operation'] },
  'rate-limit': { sections: ['inbound'], scopes: ['product', 'api', 'operation'] },
  quota: { sections: ['inbound'], scopes: ['product'] },
  'validate-content': { sections: ['inbound'], scopes: ['global', 'product', 'api', 'operation'] },
  'set-header': {
    sections: ['inbound', 'outbound', 'on-error'],
    scopes: ['global', 'product', 'api', 'operation'],
  },
  'set-query-parameter': {
    sections: ['inbound', 'backend'],
    scopes: ['global', 'product', 'api', 'operation'],
  },
  'set-backend-service': {
    sections: ['inbound', 'backend'],
    scopes: ['global', 'product', 'api', 'operation'],
  },
  'forward-request': { sections: ['backend'], scopes: ['global', 'product', 'api', 'operation'] },
  'set-status': { sections: ['outbound', 'on-error'], scopes: ['global', 'product', 'api', 'operation'] },
  'return-response': {
    sections: ['inbound', 'outbound', 'on-error'],
    scopes: ['global', 'product', 'api', 'operation'],
  },
};

/** Policies that APIM allows only once per policy definition (their Learn pages' usage notes). */
const ONCE_PER_DOCUMENT = new Set<StatementKind>(['rate-limit', 'quota', 'cors']);

/**
 * validate-content's ceiling for max-size on its own reference page ("Maximum allowed value: 4 MB").
 * The gateway limits table says bodies are validated up to 100 KiB; a policy may say more (APIM saves
 * it), but the gateway enforces the tier's limit and warns (schemas/src/apim-tiers.ts).
 */
export const VALIDATE_CONTENT_MAX_SIZE = 4 * 1024 * 1024;

export function compileDocument(root: XmlElement, context: CompileContext): PolicyDocument {
  if (root.name !== 'policies')
    throw PolicyError.at(root, `the root element must be <policies>, found <${root.name}>`);
  checkAttributes(root, [], []);
  rejectText(root);
  const document: Partial<Record<Section, Statement[]>> = {};
  const seenOnce = new Set<StatementKind>();
  for (const sectionElement of root.children) {
    const section = sectionElement.name as Section;
    if (!SECTIONS.includes(section)) {
      throw PolicyError.at(
        sectionElement,
        `unknown section <${sectionElement.name}> in <policies>; expected one of ${SECTIONS.join(', ')}`,
      );
    }
    if (document[section]) throw PolicyError.at(sectionElement, `section <${section}> appears twice`);
    checkAttributes(sectionElement, [], []);
    rejectText(sectionElement);
    const statements: Statement[] = [];
    for (const child of sectionElement.children) {
      const statement = compileStatement(child, section, context);
      if (statement.kind === 'base' && statements.some((s) => s.kind === 'base')) {
        throw PolicyError.at(child, `<base /> appears twice in <${section}>`);
      }
      if (ONCE_PER_DOCUMENT.has(statement.kind)) {
        if (seenOnce.has(statement.kind))
          throw PolicyError.at(child, `<${child.name}> can be used only once per policy definition`);
        seenOnce.add(statement.kind);
      }
      statements.push(statement);
    }
    document[section] = statements;
  }
  for (const section of SECTIONS) {
    if (!document[section] && context.scope !== 'global') {
      context.warn(
        `${root.file}: no <${section}> section, so the parent scopes' ${section} policies do not run here`,
      );
    }
  }
  return {
    inbound: document.inbound,
    backend: document.backend,
    outbound: document.outbound,
    'on-error': document['on-error'],
  };
}

function compileStatement(element: XmlElement, section: Section, context: CompileContext): Statement {
  const source: Source = {
    file: element.file,
    line: element.line,
    column: element.column,
    scope: context.scope,
  };
  const restrictedTo = tiersFor(element.name);
  if (restrictedTo && !restrictedTo.includes(context.tier)) {
    context.warn(
      `${element.file}:${element.line}: <${element.name}> is not supported on the ${context.tier} tier of API Management (available on ${restrictedTo.join(', ')})`,
    );
  }
  if (element.name === 'base') {
    checkAttributes(element, [], []);
    noChildren(element);
    return { kind: 'base', source };
  }
  const placement = PLACEMENT[element.name as Exclude<StatementKind, 'base'>] as
    (typeof PLACEMENT)[keyof typeof PLACEMENT] | undefined;
  if (!placement) {
    throw PolicyError.at(
      element,
      `<${element.name}> is not implemented by the local gateway (it never ignores a policy); remove it or implement it in local/gateway`,
    );
  }
  if (!placement.sections.includes(section)) {
    throw PolicyError.at(
      element,
      `<${element.name}> is not allowed in <${section}> (allowed in ${placement.sections.join(', ')})`,
    );
  }
  if (!placement.scopes.includes(context.scope)) {
    throw PolicyError.at(
      element,
      `<${element.name}> is not allowed at ${context.scope} scope (allowed at ${placement.scopes.join(', ')})`,
    );
  }
  const v = new Values(element, context);
  switch (element.name) {
    case 'cors':
      return compileCors(element, v, source, context.tier);
    case 'ip-filter':
      return compileIpFilter(element, v, source);
    case 'check-header': {
      checkAttributes(
        element,
        ['name', 'failed-check-httpcode', 'failed-check-error-message', 'ignore-case'],
        ['id'],
      );
      const values = childrenNamed(element, ['value']).map((child) => v.text(child));
      return {
        kind: 'check-header',
        source,
        name: v.headerName('name'),
        status: v.status('failed-check-httpcode'),
        message: v.attribute('failed-check-error-message'),
        ignoreCase: v.boolean('ignore-case'),
        values,
      };
    }
    case 'rate-limit': {
      checkAttributes(
        element,
        ['calls', 'renewal-period'],
        ['retry-after-header-name', 'remaining-calls-header-name', 'total-calls-header-name', 'id'],
      );
      noChildren(element, 'per-API and per-operation limits (<api>, <operation>) are not implemented');
      const periodSeconds = v.integer('renewal-period', 1, 300);
      return {
        kind: 'rate-limit',
        source,
        calls: v.integer('calls', 1),
        periodSeconds,
        retryAfterHeader: v.optionalHeaderName('retry-after-header-name') ?? 'Retry-After',
        remainingHeader: v.optionalHeaderName('remaining-calls-header-name'),
        totalHeader: v.optionalHeaderName('total-calls-header-name'),
      };
    }
    case 'quota': {
      checkAttributes(element, ['renewal-period'], ['calls', 'bandwidth', 'id']);
      noChildren(element, 'per-API and per-operation quotas (<api>, <operation>) are not implemented');
      const calls = v.has('calls') ? v.integer('calls', 1) : undefined;
      const bandwidthKb = v.has('bandwidth') ? v.integer('bandwidth', 1) : undefined;
      if (calls === undefined && bandwidthKb === undefined)
        throw PolicyError.at(element, '<quota> needs calls, bandwidth or both');
      return { kind: 'quota', source, calls, bandwidthKb, periodSeconds: v.integer('renewal-period', 0) };
    }
    case 'validate-content':
      return compileValidateContent(element, v, source, context);
    case 'set-header':
    case 'set-query-parameter':
      return { kind: element.name, source, ...compileSetValue(element, v) };
    case 'set-backend-service': {
      checkAttributes(element, [], ['base-url', 'backend-id', 'id']);
      noChildren(element);
      if (v.has('base-url') === v.has('backend-id')) {
        throw PolicyError.at(element, '<set-backend-service> needs exactly one of base-url and backend-id');
      }
      if (v.has('backend-id')) {
        const id = v.attribute('backend-id');
        const baseUrl = context.backends.get(id);
        if (!baseUrl)
          throw PolicyError.at(
            element,
            `backend-id "${id}" is not a configured backend (known: ${[...context.backends.keys()].join(', ') || 'none'})`,
          );
        return { kind: 'set-backend-service', source, baseUrl };
      }
      return { kind: 'set-backend-service', source, baseUrl: v.url('base-url') };
    }
    case 'forward-request': {
      checkAttributes(element, [], ['timeout', 'id']);
      noChildren(element);
      // https://learn.microsoft.com/azure/api-management/forward-request-policy: timeout defaults to 300 s.
      return {
        kind: 'forward-request',
        source,
        timeoutSeconds: v.has('timeout') ? v.integer('timeout', 1, 240 * 60) : 300,
      };
    }
    case 'set-status': {
      checkAttributes(element, ['code'], ['reason', 'id']);
      noChildren(element);
      return { kind: 'set-status', source, code: v.status('code'), reason: v.optional('reason') };
    }
    case 'return-response': {
      checkAttributes(element, [], ['id']);
      let status: { code: number; reason?: string } | undefined;
      const headers: SetValueStatement[] = [];
      let body: string | undefined;
      for (const child of childrenNamed(element, ['set-status', 'set-header', 'set-body'])) {
        const cv = new Values(child, context);
        if (child.name === 'set-status') {
          checkAttributes(child, ['code'], ['reason']);
          noChildren(child);
          status = { code: cv.status('code'), reason: cv.optional('reason') };
        } else if (child.name === 'set-header') {
          headers.push(compileSetValue(child, cv));
        } else {
          checkAttributes(child, [], []);
          body = cv.text(child);
        }
      }
      return { kind: 'return-response', source, status, headers, body };
    }
    default:
      throw PolicyError.at(element, `<${element.name}> is not implemented by the local gateway`);
  }
}

function compileCors(element: XmlElement, v: Values, source: Source, tier: Tier): Statement {
  checkAttributes(element, [], ['allow-credentials', 'terminate-unmatched-request', 'id']);
  let origins: string[] | undefined;
  let methods: string[] = ['GET', 'POST'];
  let maxAge = 0;
  let headers: string[] | undefined;
  let exposeHeaders: string[] = [];
  const list = (parent: XmlElement, childName: string) => {
    const children = childrenNamed(parent, [childName]);
    if (children.length === 0)
      throw PolicyError.at(parent, `<${parent.name}> needs at least one <${childName}>`);
    return children.map((child) => new Values(child, v.context).text(child).trim());
  };
  for (const child of childrenNamed(element, [
    'allowed-origins',
    'allowed-methods',
    'allowed-headers',
    'expose-headers',
  ])) {
    const cv = new Values(child, v.context);
    if (child.name === 'allowed-origins') {
      checkAttributes(child, [], []);
      origins = list(child, 'origin').map((origin) => normalizeOrigin(origin, child));
    } else if (child.name === 'allowed-methods') {
      checkAttributes(child, [], ['preflight-result-max-age']);
      methods = list(child, 'method').map((method) => method.toUpperCase());
      if (cv.has('preflight-result-max-age')) maxAge = cv.integer('preflight-result-max-age', 0);
    } else if (child.name === 'allowed-headers') {
      checkAttributes(child, [], []);
      headers = list(child, 'header').map((header) => header.toLowerCase());
    } else {
      checkAttributes(child, [], []);
      exposeHeaders = list(child, 'header');
    }
  }
  if (!origins) throw PolicyError.at(element, '<cors> needs <allowed-origins>');
  if (!headers) throw PolicyError.at(element, '<cors> needs <allowed-headers>');
  const allowCredentials = v.has('allow-credentials') ? v.boolean('allow-credentials') : false;
  if (allowCredentials && origins.includes('*')) {
    throw PolicyError.at(element, '<cors allow-credentials="true"> cannot allow origin *');
  }
  return {
    kind: 'cors',
    source,
    allowCredentials,
    // https://learn.microsoft.com/azure/api-management/cors-policy (attributes table): default true.
    // Older copies of the page said false; the tier table keeps the source (schemas/src/apim-tiers.ts).
    terminateUnmatched: v.has('terminate-unmatched-request')
      ? v.boolean('terminate-unmatched-request')
      : tierLimits(tier).corsTerminateUnmatchedDefault,
    origins,
    methods,
    maxAge,
    headers,
    exposeHeaders,
  };
}

/** An origin is scheme://host[:port]; APIM fills in the default port, so we compare normalized forms. */
export function normalizeOrigin(origin: string, where?: XmlElement): string {
  if (origin === '*') return origin;
  try {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
    return url.origin;
  } catch {
    if (where)
      throw PolicyError.at(where, `origin "${origin}" is not a URI with scheme, host and optional port`);
    return origin;
  }
}

function compileIpFilter(element: XmlElement, v: Values, source: Source): Statement {
  checkAttributes(element, ['action'], ['id']);
  const action = v.oneOf('action', ['allow', 'forbid'] as const);
  const list = new BlockList();
  const children = childrenNamed(element, ['address', 'address-range']);
  if (children.length === 0)
    throw PolicyError.at(element, '<ip-filter> needs at least one <address> or <address-range>');
  for (const child of children) {
    const cv = new Values(child, v.context);
    if (child.name === 'address') {
      checkAttributes(child, [], []);
      const address = cv.text(child).trim();
      list.addAddress(address, ipType(address, child));
    } else {
      checkAttributes(child, ['from', 'to'], []);
      noChildren(child);
      const from = cv.attribute('from');
      const to = cv.attribute('to');
      const type = ipType(from, child);
      if (ipType(to, child) !== type) throw PolicyError.at(child, 'from and to must be the same IP version');
      list.addRange(from, to, type);
    }
  }
  return { kind: 'ip-filter', source, action, list };
}

function ipType(address: string, where: XmlElement): 'ipv4' | 'ipv6' {
  const version = isIP(address);
  if (version === 0) throw PolicyError.at(where, `"${address}" is not an IP address`);
  return version === 4 ? 'ipv4' : 'ipv6';
}

function compileValidateContent(
  element: XmlElement,
  v: Values,
  source: Source,
  context: CompileContext,
): Statement {
  checkAttributes(
    element,
    ['unspecified-content-type-action', 'max-size', 'size-exceeded-action'],
    ['errors-variable-name', 'id'],
  );
  const actions = ['ignore', 'prevent', 'detect'] as const;
  const sizeAction = v.oneOf('size-exceeded-action', actions);
  if (sizeAction !== 'prevent') {
    // With ignore/detect APIM would pass an oversized body on unvalidated; the gateway keeps a hard
    // memory bound instead of emulating that, and says so rather than behaving differently.
    throw PolicyError.at(
      element,
      `size-exceeded-action="${sizeAction}" is not implemented by the local gateway (only "prevent")`,
    );
  }
  const contents = childrenNamed(element, ['content', 'content-type-map']).map((child) => {
    if (child.name === 'content-type-map')
      throw PolicyError.at(child, '<content-type-map> is not implemented by the local gateway');
    checkAttributes(child, ['validate-as'], ['type', 'schema-id', 'action', 'id']);
    noChildren(child);
    const cv = new Values(child, context);
    if (cv.attribute('validate-as') !== 'json')
      throw PolicyError.at(child, 'only validate-as="json" is implemented by the local gateway');
    if (!cv.has('type'))
      throw PolicyError.at(
        child,
        '<content> without type (the API definition schema) is not implemented; set type and schema-id',
      );
    if (!cv.has('schema-id'))
      throw PolicyError.at(
        child,
        '<content> without schema-id (the API definition schema) is not implemented',
      );
    const schemaId = cv.attribute('schema-id');
    if (!context.schemaIds.has(schemaId)) {
      throw PolicyError.at(
        child,
        `schema-id "${schemaId}" is not a known schema (known: ${[...context.schemaIds].join(', ') || 'none'})`,
      );
    }
    return {
      type: cv.attribute('type').toLowerCase(),
      schemaId,
      action: cv.has('action') ? cv.oneOf('action', actions) : ('prevent' as const),
    };
  });
  const maxSize = v.integer('max-size', 0, VALIDATE_CONTENT_MAX_SIZE);
  const tierLimit = tierLimits(context.tier).validateContentBodyBytes;
  if (maxSize > tierLimit) {
    context.warn(
      `${element.file}:${element.line}: <validate-content max-size="${maxSize}"> is over the ${tierLimit}-byte body limit of the ${context.tier} tier (API Management limits table); bodies over ${tierLimit} bytes are refused`,
    );
  }
  return {
    kind: 'validate-content',
    source,
    unspecifiedAction: v.oneOf('unspecified-content-type-action', actions),
    maxSize,
    contents,
  };
}

function compileSetValue(element: XmlElement, v: Values): SetValueStatement {
  checkAttributes(element, ['name'], ['exists-action', 'id']);
  const action = v.has('exists-action')
    ? v.oneOf('exists-action', ['override', 'skip', 'append', 'delete'] as const)
    : 'override';
  const values = childrenNamed(element, ['value']).map((child) => {
    checkAttributes(child, [], []);
    return v.headerValue(child);
  });
  if (action !== 'delete' && values.length === 0)
    throw PolicyError.at(
      element,
      `<${element.name}> needs at least one <value> unless exists-action="delete"`,
    );
  return { name: v.headerName('name'), action, values };
}

function checkAttributes(element: XmlElement, required: string[], optional: string[]): void {
  for (const name of element.attributes.keys()) {
    if (!required.includes(name) && !optional.includes(name)) {
      throw PolicyError.at(
        element,
        `attribute ${name} of <${element.name}> is not implemented by the local gateway`,
      );
    }
  }
  for (const name of required) {
    if (!element.attributes.has(name))
      throw PolicyError.at(element, `<${element.name}> needs the attribute ${name}`);
  }
}

function childrenNamed(element: XmlElement, allowed: string[]): readonly XmlElement[] {
  rejectText(element);
  for (const child of element.children) {
    if (!allowed.includes(child.name)) {
      throw PolicyError.at(
        child,
        `<${child.name}> is not implemented inside <${element.name}> (allowed: ${allowed.join(', ')})`,
      );
    }
  }
  return element.children;
}

function noChildren(element: XmlElement, why?: string): void {
  rejectText(element);
  const child = element.children[0];
  if (child)
    throw PolicyError.at(
      child,
      why ? `<${child.name}> in <${element.name}>: ${why}` : `<${element.name}> takes no child elements`,
    );
}

function rejectText(element: XmlElement): void {
  if (element.text.trim() !== '') throw PolicyError.at(element, `unexpected text inside <${element.name}>`);
}

const EXPRESSION = /^\s*@[({]/;
const NAMED_VALUE = /\{\{([^{}]*)\}\}/g;

/** Reads attribute and text values: named values substituted, policy expressions refused. */
class Values {
  constructor(
    readonly element: XmlElement,
    readonly context: CompileContext,
  ) {}

  has(name: string): boolean {
    return this.element.attributes.has(name);
  }

  attribute(name: string): string {
    const raw = this.element.attributes.get(name);
    if (raw === undefined)
      throw PolicyError.at(this.element, `<${this.element.name}> needs the attribute ${name}`);
    return this.resolve(raw, `attribute ${name} of <${this.element.name}>`, this.element);
  }

  optional(name: string): string | undefined {
    return this.has(name) ? this.attribute(name) : undefined;
  }

  text(child: XmlElement): string {
    if (child.children.length > 0)
      throw PolicyError.at(child.children[0]!, `<${child.name}> takes text, not elements`);
    return this.resolve(child.text, `<${child.name}>`, child);
  }

  integer(name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const value = this.attribute(name);
    const number = Number(value);
    if (!/^\d+$/.test(value) || number < min || number > max) {
      throw PolicyError.at(this.element, `${name} must be an integer from ${min} to ${max}; got "${value}"`);
    }
    return number;
  }

  status(name: string): number {
    return this.integer(name, 100, 599);
  }

  boolean(name: string): boolean {
    const value = this.attribute(name);
    if (value !== 'true' && value !== 'false')
      throw PolicyError.at(this.element, `${name} must be true or false; got "${value}"`);
    return value === 'true';
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T {
    const value = this.attribute(name);
    if (!(allowed as readonly string[]).includes(value)) {
      throw PolicyError.at(this.element, `${name} must be one of ${allowed.join(', ')}; got "${value}"`);
    }
    return value as T;
  }

  headerName(name: string): string {
    const value = this.attribute(name);
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(value))
      throw PolicyError.at(this.element, `${name} "${value}" is not a valid header name`);
    return value;
  }

  optionalHeaderName(name: string): string | undefined {
    return this.has(name) ? this.headerName(name) : undefined;
  }

  headerValue(child: XmlElement): string {
    const value = this.text(child);
    // Checked without echoing the value: it may come from a secret named value.
    if (/[\r\n\0]/.test(value))
      throw PolicyError.at(
        child,
        `<${child.name}> contains a line break or NUL, which no header value may hold`,
      );
    return value;
  }

  url(name: string): string {
    const value = this.attribute(name);
    try {
      const url = new URL(value);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
      return value.replace(/\/+$/, '');
    } catch {
      throw PolicyError.at(this.element, `${name} "${value}" is not an http(s) URL`);
    }
  }

  private resolve(raw: string, what: string, where: XmlElement): string {
    if (EXPRESSION.test(raw)) {
      throw PolicyError.at(
        where,
        `${what} uses a policy expression (${raw.trim().slice(0, 2)}...), which the local gateway does not evaluate`,
      );
    }
    const resolved = raw.replace(NAMED_VALUE, (_match, name: string) => {
      const value = this.context.namedValues.get(name.trim());
      if (value === undefined)
        throw PolicyError.at(where, `${what} refers to the named value {{${name}}}, which is not defined`);
      return value;
    });
    // APIM evaluates an expression that a named value expands to; we refuse it (without echoing secrets).
    if (resolved !== raw && EXPRESSION.test(resolved)) {
      throw PolicyError.at(
        where,
        `${what} refers to a named value whose content is a policy expression, which the local gateway does not evaluate`,
      );
    }
    return resolved;
  }
}
