'use strict';

// Capture real @sentry/node events from the sample service into ./*.json for the fingerprint tests.
//
//   cd tests/payloads/node && npm install && node capture.js
//
// Each scenario runs in its own Node process (service/main.js) with a DSN pointing at a receiver
// on 127.0.0.1 started here; the receiver decodes each envelope the SDK posts and keeps its event.
// Release 1.1 is service/ with service-1.1/ laid over it, in .run/ (removed afterwards), so both
// releases have the same module names and only their line numbers differ. The tests read the JSON
// files only, so CI needs neither Node nor npm; re-run this only to add a scenario. Machine paths
// are rewritten to /app/ before saving.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const zlib = require('node:zlib');

const HERE = __dirname;
const RUN = path.join(HERE, '.run');
// Spelled out in pieces so this file itself passes the same "no machine paths" check.
const FORBIDDEN = ['work', 'root', 'tmp', 'home'].map((top) => `/${top}/`);

// [file, release, scenario, ...arguments]: capture.py's naming, one line per saved payload.
const CAPTURES = [
  // 1. synthetic exceptions: console.error, captureMessage with a stack, string rejections, plain objects
  ['console_payment_ord17', '1.0.0', 'console_payment', 'ord-17'],
  ['console_payment_ord42', '1.0.0', 'console_payment', 'ord-42'],
  ['console_inventory_sku9', '1.0.0', 'console_inventory', 'sku-9'],
  ['message_quota_t17', '1.0.0', 'message_quota', '17'],
  ['message_quota_t42', '1.0.0', 'message_quota', '42'],
  ['message_disk_v3', '1.0.0', 'message_disk', 'vol-3'],
  ['rejection_billing_3', '1.0.0', 'rejection_billing', '3'],
  ['rejection_billing_5', '1.0.0', 'rejection_billing', '5'],
  ['rejection_stock_3', '1.0.0', 'rejection_stock', '3'],
  ['object_user_17', '1.0.0', 'object_user', '17'],
  ['object_user_42', '1.0.0', 'object_user', '42'],
  ['object_order_paid', '1.0.0', 'object_order', 'ord-9'],
  ['api_cart_error', '1.0.0', 'api_cart', 'c-1'],
  // 2. no frame of the app: an error made in a library's timer, a string rejected by a library
  ['timeout_billing_3000', '1.0.0', 'timeout', 'billing', '3000'],
  ['timeout_billing_4500', '1.0.0', 'timeout', 'billing', '4500'],
  ['timeout_inventory_3000', '1.0.0', 'timeout', 'inventory', '3000'],
  ['reset_billing', '1.0.0', 'reset', 'billing'],
  ['reset_inventory', '1.0.0', 'reset', 'inventory'],
  // 3. anonymous functions, across a release that moves their lines
  ['anon_price_r10', '1.0.0', 'anon_price'],
  ['anon_weight_r10', '1.0.0', 'anon_weight'],
  ['anon_price_r11', '1.1.0', 'anon_price'],
  ['anon_weight_r11', '1.1.0', 'anon_weight'],
  ['route_items_r10', '1.0.0', 'route_items'],
  ['route_page_r10', '1.0.0', 'route_page'],
  ['route_items_r11', '1.1.0', 'route_items'],
  ['route_page_r11', '1.1.0', 'route_page'],
  ['boot_port_abc_r10', '1.0.0', 'boot', 'abc', 'eu-west'],
  ['boot_port_empty_r10', '1.0.0', 'boot', '', 'eu-west'],
  ['boot_region_r10', '1.0.0', 'boot', '8080', 'mars'],
  ['boot_port_abc_r11', '1.1.0', 'boot', 'abc', 'eu-west'],
  // 4. V8 names: receiver classes, [as alias], new
  ['store_load_cart', '1.0.0', 'store_load', 'cartStore'],
  ['store_load_wishlist', '1.0.0', 'store_load', 'wishlistStore'],
  ['store_save_cart', '1.0.0', 'store_save', 'cartStore'],
  ['alias_direct', '1.0.0', 'alias_direct'],
  ['alias_table', '1.0.0', 'alias_table'],
  ['ctor_invoice', '1.0.0', 'invoice'],
  ['ctor_credit_note', '1.0.0', 'credit_note'],
  // 5. Error.cause chains of varying depth
  ['retry_once', '1.0.0', 'quote', 'sku-1', '1'],
  ['retry_thrice', '1.0.0', 'quote', 'sku-2', '3'],
  ['retry_thrice_parse', '1.0.0', 'quote', 'bad-sku-3', '3'],
  // 6. a shared helper that throws for its callers
  ['helper_user_17', '1.0.0', 'helper_user', '17'],
  ['helper_user_42', '1.0.0', 'helper_user', '42'],
  ['helper_order_9', '1.0.0', 'helper_order', 'ord-9'],
  // plain errors, for comparison with the Python payloads
  ['checkout_web', '1.0.0', 'checkout_web'],
  ['checkout_api', '1.0.0', 'checkout_api'],
  ['refund', '1.0.0', 'refund'],
];

function parseEnvelope(body) {
  const events = [];
  let offset = body.indexOf(10);
  if (offset < 0) return events;
  offset += 1;
  while (offset < body.length) {
    const end = body.indexOf(10, offset);
    const header = JSON.parse(body.subarray(offset, end < 0 ? body.length : end).toString());
    offset = end < 0 ? body.length : end + 1;
    const length = header.length ?? (body.indexOf(10, offset) < 0 ? body.length : body.indexOf(10, offset)) - offset;
    const payload = body.subarray(offset, offset + length);
    offset += length + 1;
    if (header.type === 'event') events.push(JSON.parse(payload.toString()));
  }
  return events;
}

function startReceiver(received) {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body);
      const url = new URL(req.url, 'http://127.0.0.1');
      const project = url.pathname.match(/^\/api\/(\d+)\/envelope\/$/)?.[1];
      // The SDK sends its key in the query string, not in X-Sentry-Auth; Switchyard accepts both.
      if (!project || !url.searchParams.get('sentry_key')) {
        res.writeHead(400).end();
        return;
      }
      for (const event of parseEnvelope(body)) (received[project] ??= []).push(event);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function buildRelease(release) {
  const dir = path.join(RUN, release);
  fs.cpSync(path.join(HERE, 'service'), dir, { recursive: true });
  if (release === '1.1.0') fs.cpSync(path.join(HERE, 'service-1.1'), dir, { recursive: true });
  return dir;
}

function sanitise(value, rewrites) {
  if (Array.isArray(value)) return value.map((item) => sanitise(item, rewrites));
  if (value && typeof value === 'object') {
    const out = {};
    for (const [key, item] of Object.entries(value)) {
      if (key === 'modules') continue;
      out[key] = sanitise(item, rewrites);
    }
    return out;
  }
  if (typeof value === 'string') return rewrites.reduce((text, [from, to]) => text.split(from).join(to), value);
  return value;
}

function save(name, event, rewrites) {
  // Host details (memory, CPU, boot time, locale) say nothing about grouping.
  const contexts = event.contexts || {};
  event.contexts = Object.fromEntries(Object.entries(contexts).filter(([key]) => ['runtime', 'trace'].includes(key)));
  const text = JSON.stringify(sanitise(event, rewrites), null, 1);
  const leaked = FORBIDDEN.filter((marker) => text.includes(marker));
  if (leaked.length) throw new Error(`${name}: machine path left in payload: ${leaked}`);
  fs.writeFileSync(path.join(HERE, `${name}.json`), `${text}\n`);
}

function run(dir, release, project, port, scenario, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(dir, 'main.js'), scenario, ...args], {
      env: { ...process.env, SENTRY_DSN: `http://publickey@127.0.0.1:${port}/${project}`, SENTRY_RELEASE: `shop@${release}` },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

async function main() {
  const received = {};
  const server = await startReceiver(received);
  const { port } = server.address();
  fs.rmSync(RUN, { recursive: true, force: true });
  const dirs = { '1.0.0': buildRelease('1.0.0'), '1.1.0': buildRelease('1.1.0') };
  try {
    for (const [index, [name, release, scenario, ...args]] of CAPTURES.entries()) {
      const project = String(index + 1);
      const { code } = await run(dirs[release], release, project, port, scenario, args);
      const events = received[project] || [];
      if (code !== 0 || events.length !== 1) throw new Error(`${name}: exit ${code}, ${events.length} events`);
      const rewrites = [[`${dirs[release]}/`, '/app/'], [`${HERE}/`, '/app/']];
      save(name, events[0], rewrites);
    }
  } finally {
    server.close();
    fs.rmSync(RUN, { recursive: true, force: true });
  }
  console.log(`saved ${CAPTURES.length} payloads to ${path.basename(HERE)}/`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
