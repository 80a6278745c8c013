'use strict';

// The sample service's entry point: runs one scenario (argv[2]) with the real @sentry/node and exits.
// capture.js starts it once per scenario, with SENTRY_DSN pointing at its loopback receiver.

const Sentry = require('@sentry/node');

// Console messages and captureMessage only become (synthetic) exceptions with attachStacktrace.
const WITH_STACK = new Set(['console', 'message']);

const SCENARIOS = {
  console_payment: (id) => require('./sampleapp/billing').settleOrder(id),
  console_inventory: (sku) => require('./sampleapp/inventory').syncSku(sku),
  message_quota: (tenant) => require('./sampleapp/limits').checkLimit('quota', tenant),
  message_disk: (volume) => require('./sampleapp/limits').checkLimit('disk', volume),
  rejection_billing: (n) => { require('./sampleapp/jobs').refreshPrices(Number(n)); },
  rejection_stock: (n) => { require('./sampleapp/jobs').refreshStock(Number(n)); },
  object_user: (id) => require('./sampleapp/api').handleRequest('getUser', Number(id)),
  object_order: (id) => require('./sampleapp/api').handleRequest('payOrder', id),
  api_cart: (id) => require('./sampleapp/api').handleRequest('getCart', id),
  timeout: (name, ms) => { require('./sampleapp/jobs').pollUpstream(name, Number(ms)); },
  reset: (name) => { require('./sampleapp/jobs').connectUpstream(name); },
  anon_price: () => require('./sampleapp/cart').totalPrice([{ price: { amount: 3 } }, {}]),
  anon_weight: () => require('./sampleapp/cart').totalWeight([{}]),
  route_items: () => {
    require('./sampleapp/routes');
    return require('./sampleapp/router').dispatch('/cart/items', { body: {} });
  },
  route_page: () => {
    require('./sampleapp/routes');
    return require('./sampleapp/router').dispatch('/orders', { query: {} });
  },
  boot: (port, region) => {
    process.env.PORT = port;
    process.env.REGION = region;
    require('./sampleapp/settings');
  },
  store_load: (store) => require('./sampleapp/stores')[store].load('c-1'),
  store_save: (store) => require('./sampleapp/stores')[store].save({ id: 'c-1', data: {} }),
  alias_direct: () => require('./sampleapp/orders').saveOrder({}),
  alias_table: () => require('./sampleapp/orders').handlers.save({}),
  invoice: () => new (require('./sampleapp/invoices').Invoice)({}),
  credit_note: () => new (require('./sampleapp/invoices').CreditNote)({}),
  quote: (sku, attempts) => require('./sampleapp/quotes').fetchQuote(sku, Number(attempts)),
  helper_user: (id) => require('./sampleapp/users').loadUser(Number(id)),
  helper_order: (id) => require('./sampleapp/orders').loadOrder(id),
  checkout_web: () => require('./sampleapp/checkout').checkoutFromWeb('ord-1', 0xdeadbeef, 150),
  checkout_api: () => require('./sampleapp/checkout').checkoutFromApi('ord-2', 0xcafe, 99),
  refund: () => require('./sampleapp/checkout').refund('ord-3', 0xbeef, 20),
};

async function main() {
  const [name, ...args] = process.argv.slice(2);
  const scenario = SCENARIOS[name];
  if (!scenario) throw new Error(`unknown scenario ${name}`);
  Sentry.init({
    dsn: process.env.SENTRY_DSN,
    release: process.env.SENTRY_RELEASE,
    environment: 'production',
    serverName: 'web-1',
    attachStacktrace: WITH_STACK.has(name.split('_')[0]),
    maxBreadcrumbs: 0,
    integrations: [Sentry.captureConsoleIntegration({ levels: ['error'] })],
  });
  try {
    await scenario(...args);
  } catch (err) {
    Sentry.captureException(err);
  }
  // Unhandled rejections reach the SDK's handler on a later tick.
  await new Promise((resolve) => setTimeout(resolve, 50));
  await Sentry.flush(5000);
}

main().then(() => process.exit(0), (err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
