// Second client ecosystem for corsd: Node.js with @grpc/grpc-js and
// @grpc/proto-loader (from the npm registry) against the real corsd binary.
//
// The project's .proto files are loaded AT RUN TIME from <repo>/proto with
// proto-loader (the google/protobuf well-known types come with proto-loader),
// so this checks the wire contract as a third-party Node client sees it, not
// the C++ generated code. The cases mirror service/rpc/interop/interop_test.py:
// Decider.Decide (allowed, wildcard, refused, preflight 204/403, unsafe method
// 403, bad input), envoy ext_authz Authorization.Check (ok_response vs
// denied_response, preflight 204/403, WebSocket 403, tenant header fallback,
// bad input) and the Admin calls that set the tenant up.
//
// Usage (run.sh does this):
//   CORSD_BINARY=<path/to/corsd> node --test interop_test.mjs
//   node interop_test.mjs <path/to/corsd>
// It starts corsd on 127.0.0.1:0 with a temporary data dir and token file,
// reads the "corsd: listening decisions=..." / "admin=..." lines from stderr
// for the ports, waits for "corsd: ready", and kills corsd and removes the
// temporary directory when the tests end, fail, or the process is signalled.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const HERE = dirname(fileURLToPath(import.meta.url));
const PROTO_DIR = resolve(HERE, '..', '..', '..', '..', 'proto');
const READY_TIMEOUT_MS = 30_000;
const RPC_TIMEOUT_MS = 10_000;

// ---- the corsd binary (argv when run directly, env under `node --test`) ----

const CORSD = process.argv[2] || process.env.CORSD_BINARY;
if (!CORSD) {
  console.error('usage: node interop_test.mjs <path/to/corsd>\n' +
                '   or: CORSD_BINARY=<path/to/corsd> node --test interop_test.mjs');
  process.exit(2);
}
try {
  accessSync(CORSD, constants.X_OK);
} catch {
  console.error(`interop_test: corsd binary "${CORSD}" does not exist or is not executable`);
  process.exit(2);
}

// ---- the protos, loaded at run time ----

const packageDefinition = protoLoader.loadSync(
  [
    'corsd/v1/decision.proto',
    'corsd/v1/admin.proto',
    'corsd/v1/policy.proto',
    'envoy/service/auth/v3/external_auth.proto',
  ],
  {
    // proto/ holds corsd/v1 and the envoy and google/rpc subsets; imports of
    // google/protobuf/*.proto resolve to proto-loader's bundled copies.
    includeDirs: [PROTO_DIR],
    keepCase: true,   // field names as in the .proto files (snake_case)
    longs: Number,    // uint64 counters and ids are small here
    enums: String,    // enum values by name: 'ACTION_CONTINUE', 'NoContent'
    defaults: true,   // unset scalars read as their defaults, unset messages as null
    oneofs: true,     // CheckResponse.http_response names the set member
  });
const proto = grpc.loadPackageDefinition(packageDefinition);
const v1 = proto.corsd.v1;
const authzV3 = proto.envoy.service.auth.v3;

// ---- corsd process ----

/** The real corsd on 127.0.0.1:0 with a temp data dir and admin token. */
class Corsd {
  constructor(binary, extraArgs = []) {
    this.tmp = mkdtempSync(join(tmpdir(), 'corsd_node_'));
    this.token = randomBytes(16).toString('hex');
    const tokenFile = join(this.tmp, 'tokens');
    writeFileSync(tokenFile, `# node interop test\n${this.token}\n`, { mode: 0o600 });
    this.lines = [];
    this.addresses = {};
    this.exited = null; // {code, signal} once corsd has exited
    this.proc = spawn(binary, [
      '--listen', '127.0.0.1:0',
      '--admin-listen', '127.0.0.1:0',
      '--data-dir', join(this.tmp, 'data'),
      '--admin-token-file', tokenFile,
      ...extraArgs,
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.exitedPromise = new Promise((resolveExit) => {
      this.proc.on('exit', (code, signal) => {
        this.exited = { code, signal };
        resolveExit(this.exited);
      });
    });
    this.spawnError = null;
    this.proc.on('error', (err) => {
      this.spawnError = err;
      // A process that never started emits no 'exit': settle it here.
      if (this.proc.pid === undefined && !this.exited) {
        this.exited = { code: null, signal: null, error: err };
        this.exitedPromise = Promise.resolve(this.exited);
      }
    });
    this.readyPromise = new Promise((resolveReady, rejectReady) => {
      const timer = setTimeout(() => rejectReady(new Error(
        `corsd not ready in ${READY_TIMEOUT_MS / 1000} s; stderr:\n${this.lines.join('\n')}`)),
      READY_TIMEOUT_MS);
      const rl = createInterface({ input: this.proc.stderr });
      rl.on('line', (line) => {
        this.lines.push(line);
        process.stderr.write(`[corsd ${this.proc.pid}] ${line}\n`);
        const prefix = 'corsd: listening ';
        if (line.startsWith(prefix)) {
          // One "name=host:port" per line; tolerate several per line too.
          for (const item of line.slice(prefix.length).trim().split(/\s+/)) {
            const eq = item.indexOf('=');
            if (eq > 0) this.addresses[item.slice(0, eq)] = item.slice(eq + 1);
          }
        } else if (line === 'corsd: ready') {
          clearTimeout(timer);
          resolveReady();
        }
      });
      rl.on('close', async () => {
        clearTimeout(timer);
        // stderr closed: corsd is exiting (or never started); say how it ended.
        const how = this.spawnError ? this.spawnError.message
          : await Promise.race([
            this.exitedPromise.then(({ code, signal }) =>
              (signal ? `killed by ${signal}` : `exit status ${code}`)),
            new Promise((r) => setTimeout(() => r('closed its stderr'), 5_000).unref()),
          ]);
        rejectReady(new Error(
          `corsd (${CORSD}) stopped before "corsd: ready" (${how}); stderr:\n` +
          (this.lines.length ? this.lines.join('\n') : '(empty)')));
      });
    });
  }

  async ready() {
    await this.readyPromise;
    for (const name of ['decisions', 'admin']) {
      assert.match(this.addresses[name] ?? '', /^127\.0\.0\.1:[1-9][0-9]*$/,
        `corsd printed no usable "corsd: listening ${name}=127.0.0.1:PORT" line; ` +
        `stderr:\n${this.lines.join('\n')}`);
    }
  }

  /** SIGTERM, then SIGKILL after 15 s; resolves to the exit {code, signal}. */
  async terminate() {
    if (this.exited) return this.exited;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 15_000);
    const exited = await this.exitedPromise;
    clearTimeout(timer);
    return exited;
  }

  /** Synchronous last resort (process exit / signal): kill and clean up. */
  killNow() {
    if (!this.exited && this.proc.exitCode === null && this.proc.signalCode === null) {
      try { this.proc.kill('SIGKILL'); } catch { /* already gone */ }
    }
    rmSync(this.tmp, { recursive: true, force: true });
  }
}

// Every corsd this file started; killed on exit whatever happens.
const started = new Set();
function startCorsd(extraArgs) {
  const c = new Corsd(CORSD, extraArgs);
  started.add(c);
  return c;
}
async function stopCorsd(c) {
  try {
    return await c.terminate();
  } finally {
    c.killNow();
    started.delete(c);
  }
}
process.on('exit', () => { for (const c of started) c.killNow(); });
// If our parent (the `node --test` runner, or a shell) is killed outright, the
// process is reparented: stop corsd and exit instead of running on orphaned.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) {
    console.error('interop_test: parent process gone; stopping corsd');
    process.exit(1);
  }
}, 1_000).unref();
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    for (const c of started) c.killNow();
    process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 })[sig]);
  });
}

// ---- helpers ----

function deadline() {
  return new Date(Date.now() + RPC_TIMEOUT_MS);
}

/** Calls a unary method; resolves to the response, rejects with the ServiceError. */
function unary(client, method, request, metadata = new grpc.Metadata()) {
  return new Promise((resolveCall, rejectCall) => {
    client[method](request, metadata, { deadline: deadline() }, (err, response) => {
      if (err) rejectCall(err); else resolveCall(response);
    });
  });
}

/** Asserts that `promise` fails with gRPC status `code`; returns the error. */
async function expectGrpcError(promise, code, what) {
  let response;
  try {
    response = await promise;
  } catch (err) {
    assert.equal(err.code, code,
      `${what}: expected ${grpc.status[code]}, got ${grpc.status[err.code]} (${err.details})`);
    return err;
  }
  assert.fail(`${what}: expected ${grpc.status[code]}, got OK: ${JSON.stringify(response)}`);
}

/** The value of Decision header `name`, or undefined. */
function decisionHeader(decision, name) {
  return decision.headers.find((h) => h.name === name)?.value;
}

/** HeaderValueOption[] -> {key: {value, append}}; append is null when unset. */
function headerOptions(options) {
  const out = {};
  for (const o of options) {
    out[o.header.key] = { value: o.header.value, append: o.append === null ? null : o.append.value };
  }
  return out;
}

// ---- the tests ----

describe('corsd over Node @grpc/grpc-js', () => {
  let corsd;
  let decider;
  let authz;
  let admin;
  let adminAuth;

  before(async () => {
    corsd = startCorsd(['--tenant-header', 'x-tenant']);
    await corsd.ready();
    const insecure = grpc.credentials.createInsecure();
    decider = new v1.Decider(corsd.addresses.decisions, insecure);
    authz = new authzV3.Authorization(corsd.addresses.decisions, insecure);
    admin = new v1.Admin(corsd.addresses.admin, insecure);
    adminAuth = new grpc.Metadata();
    adminAuth.set('authorization', `Bearer ${corsd.token}`);

    await unary(admin, 'PutTenant', {
      tenant: {
        id: 'acme',
        policy: {
          allowed_methods: ['PUT'],
          allowed_headers: ['x-api-key'],
          allow_credentials: true,
          max_age_seconds: 600,
          enforce_unsafe_methods: true, // R13 is on by default
        },
      },
    }, adminAuth);
    const written = await unary(admin, 'WriteEntries', {
      ops: [
        { op: 'OP_ADD', kind: 'ENTRY_KIND_ORIGIN', tenant: 'acme', value: 'https://shop.acme.com' },
        { op: 'OP_ADD', kind: 'ENTRY_KIND_WILDCARD', tenant: 'acme', value: 'https://*.apps.acme.com' },
        { op: 'OP_ADD', kind: 'ENTRY_KIND_API_HOST', tenant: 'acme', value: 'api.acme.com' },
      ],
    }, adminAuth);
    assert.equal(written.added, 3, `WriteEntries added ${written.added} of 3 entries`);
  });

  after(async () => {
    for (const c of [decider, authz, admin]) c?.close();
    if (corsd) await stopCorsd(corsd);
  });

  function actual(origin, method = 'GET', extra = {}) {
    return {
      tenant: 'acme',
      request: { method, scheme: 'https', host: 'api.acme.com', path: '/v1/items', origin },
      ...extra,
    };
  }

  function preflight(origin, requestMethod, requestHeaders) {
    return {
      tenant: 'acme',
      request: {
        method: 'OPTIONS', scheme: 'https', host: 'api.acme.com', path: '/v1/items', origin,
        access_control_request_method: requestMethod,
        access_control_request_headers: requestHeaders,
      },
    };
  }

  function check(headers, tenant = 'acme') {
    const attributes = { request: { http: { headers } } };
    if (tenant) attributes.context_extensions = { tenant };
    return unary(authz, 'Check', { attributes });
  }

  // ---- Admin ----

  test('Admin: GetTenant shows the entries written in setup', async () => {
    const info = await unary(admin, 'GetTenant', { id: 'acme' }, adminAuth);
    assert.equal(info.tenant.id, 'acme');
    assert.deepEqual(info.tenant.policy.allowed_methods, ['PUT']);
    assert.equal(info.tenant.policy.max_age_seconds, 600);
    assert.equal(info.origins, 1);
    assert.equal(info.wildcards, 1);
    assert.equal(info.api_hosts, 1);
  });

  test('Admin: a refused WriteEntries batch is INVALID_ARGUMENT naming the item, field and value', async () => {
    const err = await expectGrpcError(unary(admin, 'WriteEntries', {
      ops: [
        { op: 'OP_ADD', kind: 'ENTRY_KIND_ORIGIN', tenant: 'acme', value: 'https://ok.acme.com' },
        { op: 'OP_ADD', kind: 'ENTRY_KIND_ORIGIN', tenant: 'acme', value: 'https://a.com/path' },
      ],
    }, adminAuth), grpc.status.INVALID_ARGUMENT, 'WriteEntries with an origin that has a path');
    assert.match(err.details, /\bitem 1\b/, `error does not name the item: ${err.details}`);
    assert.match(err.details, /\bfield value\b/, `error does not name the field: ${err.details}`);
    assert.match(err.details, /"https:\/\/a\.com\/path"/, `error does not quote the value: ${err.details}`);
    const trailer = err.metadata.get('grpc-status-details-bin');
    assert.equal(trailer.length, 1, 'no grpc-status-details-bin trailer (google.rpc.Status + BatchErrors)');
    assert.ok(trailer[0].includes('type.googleapis.com/corsd.v1.BatchErrors'),
      'the grpc-status-details-bin trailer carries no corsd.v1.BatchErrors detail');
    const info = await unary(admin, 'GetTenant', { id: 'acme' }, adminAuth);
    assert.equal(info.origins, 1, 'a refused batch must change nothing');
  });

  test('Admin: a call without a token or with a wrong token is UNAUTHENTICATED', async () => {
    await expectGrpcError(unary(admin, 'Stats', {}), grpc.status.UNAUTHENTICATED, 'Stats without token');
    const wrong = new grpc.Metadata();
    wrong.set('authorization', 'Bearer wrong');
    await expectGrpcError(unary(admin, 'Stats', {}, wrong), grpc.status.UNAUTHENTICATED,
      'Stats with a wrong token');
  });

  test('Admin: not served on the decision listener (UNIMPLEMENTED)', async () => {
    const onDecision = new v1.Admin(corsd.addresses.decisions, grpc.credentials.createInsecure());
    try {
      await expectGrpcError(unary(onDecision, 'Stats', {}, adminAuth), grpc.status.UNIMPLEMENTED,
        'Admin.Stats on the decision listener');
    } finally {
      onDecision.close();
    }
  });

  // ---- Decider.Decide ----

  test('Decide: an exact allowed origin gets ACAO with that origin and Vary: Origin', async () => {
    const { decision: d } = await unary(decider, 'Decide', actual('https://shop.acme.com', 'GET', { id: 42 }));
    assert.equal(d.action, 'ACTION_CONTINUE');
    assert.equal(d.status, 0);
    assert.equal(d.reason, 'REASON_R2_ORIGIN_ALLOWED');
    assert.equal(d.rule, 'R2');
    assert.equal(d.tenant, 'acme');
    assert.equal(d.id, 42);
    assert.equal(decisionHeader(d, 'access-control-allow-origin'), 'https://shop.acme.com');
    assert.equal(decisionHeader(d, 'access-control-allow-credentials'), 'true');
    assert.equal(decisionHeader(d, 'vary'), 'Origin');
    const vary = d.headers.find((h) => h.name === 'vary');
    assert.equal(vary.append, true, 'Vary must be appended, not replaced');
  });

  test('Decide: an origin under a wildcard entry is allowed with its own origin echoed', async () => {
    const { decision: d } = await unary(decider, 'Decide', actual('https://x.apps.acme.com'));
    assert.equal(d.action, 'ACTION_CONTINUE');
    assert.equal(d.reason, 'REASON_R2_WILDCARD_ALLOWED');
    assert.equal(decisionHeader(d, 'access-control-allow-origin'), 'https://x.apps.acme.com');
    assert.equal(decisionHeader(d, 'vary'), 'Origin');
  });

  test('Decide: the tenant is found from the API host when the tenant field is empty', async () => {
    const req = actual('https://shop.acme.com');
    req.tenant = '';
    const { decision: d } = await unary(decider, 'Decide', req);
    assert.equal(d.tenant, 'acme');
    assert.equal(d.reason, 'REASON_R2_ORIGIN_ALLOWED');
    assert.equal(decisionHeader(d, 'access-control-allow-origin'), 'https://shop.acme.com');
  });

  test('Decide: a refused origin (allowed origin + evil suffix) gets no ACAO, with an explanation', async () => {
    const { decision: d } = await unary(decider, 'Decide',
      actual('https://shop.acme.com.evil.com', 'GET', { explain: true }));
    assert.equal(d.action, 'ACTION_CONTINUE');
    assert.equal(d.reason, 'REASON_R2_ORIGIN_NOT_ALLOWED');
    assert.equal(decisionHeader(d, 'access-control-allow-origin'), undefined);
    assert.equal(decisionHeader(d, 'vary'), 'Origin');
    assert.match(d.message, /\S/, 'explain=true must fill Decision.message');
  });

  test('Decide: an unsafe method from a refused origin is answered 403 (R14)', async () => {
    const { decision: d } = await unary(decider, 'Decide', actual('https://evil.com', 'DELETE'));
    assert.equal(d.action, 'ACTION_ANSWER');
    assert.equal(d.status, 403);
    assert.equal(d.reason, 'REASON_R14_UNSAFE_METHOD_DENIED');
    assert.equal(decisionHeader(d, 'access-control-allow-origin'), undefined);
  });

  test('Decide: an unknown tenant is REASON_UNKNOWN_TENANT without ACAO', async () => {
    const req = actual('https://shop.acme.com');
    req.tenant = 'no-such-tenant';
    const { decision: d } = await unary(decider, 'Decide', req);
    assert.equal(d.reason, 'REASON_UNKNOWN_TENANT');
    assert.equal(decisionHeader(d, 'access-control-allow-origin'), undefined);
  });

  test('Decide: an allowed preflight is answered 204 with the policy', async () => {
    const { decision: d } = await unary(decider, 'Decide',
      preflight('https://shop.acme.com', 'PUT', 'x-api-key'));
    assert.equal(d.action, 'ACTION_ANSWER');
    assert.equal(d.status, 204);
    assert.equal(d.reason, 'REASON_R6_PREFLIGHT_ALLOWED');
    assert.equal(decisionHeader(d, 'access-control-allow-origin'), 'https://shop.acme.com');
    assert.match(decisionHeader(d, 'access-control-allow-methods') ?? '', /\bPUT\b/);
    assert.match(decisionHeader(d, 'access-control-allow-headers') ?? '', /\bx-api-key\b/);
    assert.equal(decisionHeader(d, 'access-control-max-age'), '600');
  });

  test('Decide: a preflight asking for a header outside the policy is answered 403 (R8)', async () => {
    const { decision: d } = await unary(decider, 'Decide',
      preflight('https://shop.acme.com', 'PUT', 'x-not-allowed'));
    assert.equal(d.action, 'ACTION_ANSWER');
    assert.equal(d.status, 403);
    assert.equal(d.reason, 'REASON_R8_HEADER_NOT_ALLOWED');
    assert.equal(decisionHeader(d, 'access-control-allow-methods'), undefined);
  });

  test('Decide: a preflight from a refused origin is answered 403 without ACAO', async () => {
    const { decision: d } = await unary(decider, 'Decide', preflight('https://evil.com', 'PUT', 'x-api-key'));
    assert.equal(d.action, 'ACTION_ANSWER');
    assert.equal(d.status, 403);
    assert.equal(d.reason, 'REASON_R2_ORIGIN_NOT_ALLOWED');
    assert.equal(decisionHeader(d, 'access-control-allow-origin'), undefined);
  });

  test('Decide: an origin over 2048 bytes is INVALID_ARGUMENT naming the field and the limit', async () => {
    const origin = `https://${'a'.repeat(3000)}.com`;
    const err = await expectGrpcError(unary(decider, 'Decide', actual(origin)),
      grpc.status.INVALID_ARGUMENT, 'Decide with a 3012-byte origin');
    assert.match(err.details, /\borigin\b/, `error does not name the field: ${err.details}`);
    assert.match(err.details, /\b3012\b/, `error does not give the size: ${err.details}`);
    assert.match(err.details, /\b2048\b/, `error does not name the limit: ${err.details}`);
  });

  test('DecideBatch: answers in order; over 1000 requests is INVALID_ARGUMENT naming requests', async () => {
    const r = await unary(decider, 'DecideBatch', {
      requests: [actual('https://shop.acme.com', 'GET', { id: 0 }),
                 actual('https://evil.com', 'GET', { id: 1 })],
    });
    assert.deepEqual(r.decisions.map((d) => d.id), [0, 1]);
    assert.deepEqual(r.decisions.map((d) => d.reason),
      ['REASON_R2_ORIGIN_ALLOWED', 'REASON_R2_ORIGIN_NOT_ALLOWED']);
    const err = await expectGrpcError(
      unary(decider, 'DecideBatch', { requests: Array(1001).fill(actual('https://a.b')) }),
      grpc.status.INVALID_ARGUMENT, 'DecideBatch with 1001 requests');
    assert.match(err.details, /\brequests\b/, `error does not name the field: ${err.details}`);
    assert.match(err.details, /\b1000\b/, `error does not name the limit: ${err.details}`);
  });

  // ---- envoy.service.auth.v3.Authorization.Check ----

  test('Check: an allowed origin continues (ok_response) with ACAO replaced and Vary appended', async () => {
    const r = await check({
      ':method': 'GET', ':authority': 'api.acme.com', ':path': '/v1/items',
      origin: 'https://shop.acme.com',
    }, '');
    assert.equal(r.status.code, 0);
    assert.equal(r.http_response, 'ok_response');
    assert.equal(r.denied_response ?? null, null, 'ok_response and denied_response are a oneof');
    const add = headerOptions(r.ok_response.response_headers_to_add);
    // append=false: Envoy replaces an upstream ACAO; append=true: Vary is added to.
    assert.deepEqual(add['access-control-allow-origin'], { value: 'https://shop.acme.com', append: false });
    assert.deepEqual(add['access-control-allow-credentials'], { value: 'true', append: false });
    assert.deepEqual(add.vary, { value: 'Origin', append: true });
  });

  test('Check: a refused origin continues (ok_response) without ACAO', async () => {
    const r = await check({
      ':method': 'GET', ':authority': 'api.acme.com', ':path': '/v1/items',
      origin: 'https://evil.com',
    });
    assert.equal(r.status.code, 0);
    assert.equal(r.http_response, 'ok_response');
    const add = headerOptions(r.ok_response.response_headers_to_add);
    assert.equal(add['access-control-allow-origin'], undefined);
    assert.deepEqual(add.vary, { value: 'Origin', append: true });
  });

  test('Check: an allowed preflight is denied_response 204 with the CORS headers', async () => {
    const r = await check({
      ':method': 'OPTIONS', ':authority': 'api.acme.com', ':path': '/v1/items', ':scheme': 'https',
      origin: 'https://shop.acme.com',
      'access-control-request-method': 'PUT',
      'access-control-request-headers': 'x-api-key',
    });
    assert.equal(r.status.code, 7, 'a preflight answer is PERMISSION_DENIED (7) for Envoy');
    assert.equal(r.status.message, 'REASON_R6_PREFLIGHT_ALLOWED');
    assert.equal(r.http_response, 'denied_response');
    assert.equal(r.ok_response ?? null, null, 'ok_response and denied_response are a oneof');
    assert.equal(r.denied_response.status.code, 'NoContent');
    for (const h of r.denied_response.headers) {
      assert.equal(h.append, null, `denied_response header ${h.header.key} must not set append`);
    }
    const headers = headerOptions(r.denied_response.headers);
    assert.equal(headers['access-control-allow-origin']?.value, 'https://shop.acme.com');
    assert.match(headers['access-control-allow-methods']?.value ?? '', /\bPUT\b/);
    assert.equal(headers['access-control-max-age']?.value, '600');
  });

  test('Check: a preflight asking for a method outside the policy is denied_response 403', async () => {
    const r = await check({
      ':method': 'OPTIONS', ':authority': 'api.acme.com', ':path': '/v1/items', ':scheme': 'https',
      origin: 'https://shop.acme.com',
      'access-control-request-method': 'PATCH',
    });
    assert.equal(r.status.code, 7);
    assert.equal(r.http_response, 'denied_response');
    assert.equal(r.denied_response.status.code, 'Forbidden');
    const headers = headerOptions(r.denied_response.headers);
    assert.equal(headers['access-control-allow-methods'], undefined);
  });

  test('Check: a WebSocket handshake from a refused origin is denied_response 403', async () => {
    const r = await check({
      ':method': 'GET', ':authority': 'api.acme.com', ':path': '/ws',
      origin: 'https://evil.com', upgrade: 'websocket', connection: 'Upgrade',
    });
    assert.notEqual(r.status.code, 0);
    assert.equal(r.http_response, 'denied_response');
    assert.equal(r.denied_response.status.code, 'Forbidden');
    const headers = headerOptions(r.denied_response.headers);
    assert.equal(headers['access-control-allow-origin'], undefined);
  });

  test('Check: a PUT with a cross-site Origin to a host no tenant owns is denied 403 (--unknown-host=deny)', async () => {
    const r = await check({
      ':method': 'PUT', ':authority': 'other.example', ':path': '/v1/items',
      origin: 'https://evil.com',
    }, '');
    assert.equal(r.http_response, 'denied_response');
    assert.equal(r.denied_response.status.code, 'Forbidden');
    assert.equal(r.status.message, 'REASON_UNKNOWN_HOST_DENIED');
  });

  test('Check: the tenant comes from the x-tenant header when context_extensions has none', async () => {
    const r = await check({
      ':method': 'GET', ':authority': 'other.example', 'x-tenant': 'acme',
      origin: 'https://shop.acme.com',
    }, '');
    assert.equal(r.status.code, 0);
    assert.equal(r.http_response, 'ok_response');
    const add = headerOptions(r.ok_response.response_headers_to_add);
    assert.equal(add['access-control-allow-origin']?.value, 'https://shop.acme.com');
  });

  test('Check: an Origin header over 2048 bytes is INVALID_ARGUMENT naming the header and the limit', async () => {
    const err = await expectGrpcError(check({
      ':method': 'GET', ':authority': 'api.acme.com', ':path': '/v1/items',
      origin: `https://${'a'.repeat(3000)}.com`,
    }), grpc.status.INVALID_ARGUMENT, 'Check with a 3012-byte origin header');
    assert.match(err.details, /\borigin\b/, `error does not name the header: ${err.details}`);
    assert.match(err.details, /\b2048\b/, `error does not name the limit: ${err.details}`);
  });
});

describe('corsd lifecycle', () => {
  test('SIGTERM drains and exits 0', async () => {
    const c = startCorsd([]);
    await c.ready();
    const { code, signal } = await stopCorsd(c);
    assert.equal(signal, null, `corsd died of ${signal}; stderr:\n${c.lines.join('\n')}`);
    assert.equal(code, 0, `corsd exited ${code}; stderr:\n${c.lines.join('\n')}`);
  });
});
