import type { ApiDefinition, ProductDefinition, SubscriptionConfig } from './config';
import { Stop, type Exchange } from './exchange';

/**
 * The subscription keys and the products they open: APIM's built-in authorization step, before any
 * policy runs. Replaceable at run time (a regenerated key stops working at once).
 */
export class SubscriptionKeys {
  #keys: Map<string, SubscriptionConfig>;
  #products: readonly ProductDefinition[];

  constructor(
    subscriptions: readonly SubscriptionConfig[],
    products: readonly ProductDefinition[],
    private readonly apis: readonly ApiDefinition[],
  ) {
    this.#products = checkProducts(products, apis);
    this.#keys = indexSubscriptions(subscriptions, this.#products);
  }

  /** Replaces the subscriptions, and with `products` the products too. */
  replace(subscriptions: readonly SubscriptionConfig[], products?: readonly ProductDefinition[]): void {
    const checked = products ? checkProducts(products, this.apis) : this.#products;
    this.#keys = indexSubscriptions(subscriptions, checked);
    this.#products = checked;
  }

  /** The caller's subscription, or a 401 Stop with APIM's message for a missing or invalid key. */
  authorize(exchange: Exchange): SubscriptionConfig {
    // Header first, then query (https://learn.microsoft.com/azure/api-management/api-management-subscriptions).
    const key =
      exchange.headers.first('Ocp-Apim-Subscription-Key') ??
      exchange.url.searchParams.get('subscription-key') ??
      undefined;
    // Messages: https://learn.microsoft.com/azure/api-management/api-management-error-handling-policies
    // ("Predefined errors for built-in steps").
    if (!key) {
      throw new Stop(
        401,
        'Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.',
        { source: 'authorization', reason: 'SubscriptionKeyNotFound' },
      );
    }
    const subscription = this.#keys.get(key);
    const product = subscription && this.#products.find((candidate) => candidate.id === subscription.product);
    if (
      !subscription ||
      (subscription.state ?? 'active') !== 'active' ||
      !product?.apis.includes(exchange.route!.api.id)
    ) {
      throw new Stop(
        401,
        'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.',
        {
          source: 'authorization',
          reason: 'SubscriptionKeyInvalid',
        },
      );
    }
    return subscription;
  }
}

/** Products may only hold APIs that exist, as in APIM. */
export function checkProducts(
  products: readonly ProductDefinition[],
  apis: readonly ApiDefinition[],
): readonly ProductDefinition[] {
  for (const product of products) {
    const unknown = product.apis.filter((api) => !apis.some((candidate) => candidate.id === api));
    if (unknown.length > 0)
      throw new Error(`product ${product.id} names unknown API(s): ${unknown.join(', ')}`);
  }
  return [...products];
}

function indexSubscriptions(
  subscriptions: readonly SubscriptionConfig[],
  products: readonly ProductDefinition[],
): Map<string, SubscriptionConfig> {
  const keys = new Map<string, SubscriptionConfig>();
  for (const subscription of subscriptions) {
    if (!products.some((product) => product.id === subscription.product)) {
      throw new Error(
        `subscription ${subscription.id} names product "${subscription.product}", which does not exist`,
      );
    }
    for (const key of [subscription.primaryKey, subscription.secondaryKey]) {
      if (typeof key !== 'string' || key.length < 8)
        throw new Error(
          `subscription ${subscription.id} needs primary and secondary keys of at least 8 characters`,
        );
      if (keys.has(key))
        throw new Error(`subscription ${subscription.id} reuses a key of another subscription`);
      keys.set(key, subscription);
    }
  }
  return keys;
}
