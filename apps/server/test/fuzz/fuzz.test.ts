import type { Logger } from '@tollgate/api';
import { ensureUser } from '@tollgate/db';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restOperations } from '../../src/routes/rest-api';
import { startEmulatedStripe, type EmulatedStripe } from '../../src/stripe-setup';
import { trpc } from '../support/http';
import { startTestServer, type TestServer } from '../support/test-server';
import { WEBHOOK_SECRET, caseArbitrary, describeCase, runAll, type FuzzCase } from './cases';
import { makeCredentials } from './credentials';
import { createSender, type FuzzResponse } from './raw-http';
import { SIGNED_WEBHOOK, otherTargets, restTargets, trpcTargets } from './targets';

// Generated requests against every REST operation (as /api/v1/openapi.json lists them), every tRPC
// procedure and the other routes, with no credential, a user's token, a service key holding every scope,
// an operator's token and garbage ones. A response >= 500, a dropped connection or anything the server
// logs as an error is a failure; afterwards the server must still be ready and authorize a run.
// FUZZ_SEED / FUZZ_CASES reproduce or widen a run; the defaults keep CI deterministic.
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_213);
const CASES = Number(process.env.FUZZ_CASES ?? 10_000);
const CONCURRENCY = 8;

let server: TestServer;
let emulated: EmulatedStripe;
const loggedErrors: { message: string; fields: Record<string, unknown> }[] = [];
const logger: Logger = {
  info() {},
  warn() {},
  error: (message, fields = {}) => loggedErrors.push({ message, fields }),
};

beforeAll(async () => {
  // Billing is configured (an offline emulator), so the billing routes run their real code.
  emulated = await startEmulatedStripe({
    emulator: { port: 0, deliveryRetryDelaysMs: [50] },
    secretKey: 'sk_test_fuzz',
    webhookSecret: WEBHOOK_SECRET,
  });
  server = await startTestServer(
    // Each register or login that passes its schema costs an argon2 hash (~25 ms of CPU): past 30 a
    // minute they answer 429, which keeps the run short and fuzzes the limiter's answer too.
    { AUTH_RATE_LIMIT_PER_MINUTE: '30' },
    { logger, billing: emulated.settings },
  );
}, 60_000);
afterAll(async () => {
  await emulated?.emulator.close();
  await server?.stop();
});

describe(`fuzzing every route and procedure (seed ${SEED}, ${CASES} cases)`, () => {
  it('answers every generated request below 500 and stays healthy', async () => {
    const started = Date.now();
    const credentials = await makeCredentials(server);
    const document = (await (await fetch(`${server.url}/api/v1/openapi.json`)).json()) as Parameters<
      typeof restTargets
    >[0];
    const targets = [...restTargets(document), ...trpcTargets(), ...otherTargets];
    // Every operation of the route tables is in the document, so none escapes the fuzzer.
    const restNames = new Set(targets.filter((target) => target.kind === 'rest').map(({ path }) => path));
    expect(restOperations.map(({ path }) => `/api/v1${path}`).filter((path) => !restNames.has(path))).toEqual(
      [],
    );
    const generationStarted = Date.now();
    const cases = fc.sample(caseArbitrary(targets, credentials), { seed: SEED, numRuns: CASES });
    const generationSeconds = (Date.now() - generationStarted) / 1000;

    const sender = createSender(server.url);
    // One example per kind of failure (target, method, status), with how often it happened.
    const failures = new Map<string, { count: number; example: string }>();
    const fail = (fuzzCase: FuzzCase, response: FuzzResponse | Error) => {
      const status = response instanceof Error ? 'error' : response.status;
      const key = `${fuzzCase.target.name} ${fuzzCase.request.method} → ${status}`;
      const known = failures.get(key);
      if (known) known.count += 1;
      else failures.set(key, { count: 1, example: describeCase(fuzzCase, response) });
    };
    const statuses = new Map<string, number>();
    const perTarget = new Map<string, number>();
    const perCredential = new Map<string, number>();
    const perPayload = new Map<string, number>();
    const credentialName = (header: string | undefined) =>
      header === undefined
        ? 'none'
        : header === credentials.user
          ? 'user'
          : header === credentials.service
            ? 'service'
            : header === credentials.operator
              ? 'operator'
              : 'garbage';
    try {
      await runAll(cases, CONCURRENCY, async (fuzzCase) => {
        const group = fuzzCase.target.name === SIGNED_WEBHOOK ? 'signed-webhook' : fuzzCase.target.kind;
        perTarget.set(group, (perTarget.get(group) ?? 0) + 1);
        const payloadKind = fuzzCase.label.replace(/-\d+$/, '');
        perPayload.set(payloadKind, (perPayload.get(payloadKind) ?? 0) + 1);
        const credential = credentialName(fuzzCase.request.headers.authorization);
        perCredential.set(credential, (perCredential.get(credential) ?? 0) + 1);
        let response: FuzzResponse;
        try {
          response = await sender.send(fuzzCase.request);
        } catch (error) {
          fail(fuzzCase, error as Error);
          return;
        }
        const statusKey = `${group} ${response.status}`;
        statuses.set(statusKey, (statuses.get(statusKey) ?? 0) + 1);
        // 0 = closed without an answer; only raw requests that break HTTP itself may get that.
        const isUnanswered = response.status === 0 && !fuzzCase.request.raw;
        if (response.status >= 500 || isUnanswered) fail(fuzzCase, response);
      });
    } finally {
      sender.close();
    }

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const counts = (map: Map<string | number, number>) =>
      [...map.entries()]
        .sort(([a], [b]) => String(a).localeCompare(String(b)))
        .map(([key, count]) => `${key}: ${count}`)
        .join(', ');
    console.log(
      [
        `[fuzz] seed ${SEED}: ${cases.length} requests in ${seconds} s (generating them: ${generationSeconds.toFixed(1)} s) over ${targets.length} targets ` +
          `(${targets.filter((t) => t.kind === 'rest').length} REST operations, ` +
          `${targets.filter((t) => t.kind === 'trpc').length} tRPC procedures, ${otherTargets.length} other routes)`,
        `[fuzz] by kind: ${counts(perTarget)}`,
        `[fuzz] by credential: ${counts(perCredential)}`,
        `[fuzz] by body: ${counts(perPayload)}`,
        `[fuzz] statuses: ${counts(statuses)}`,
        `[fuzz] ≥ 500 or unanswered: ${[...failures.values()].reduce((sum, { count }) => sum + count, 0)}; ` +
          `errors logged by the server: ${loggedErrors.length}`,
      ].join('\n'),
    );

    expect(
      [...failures.entries()].map(([key, { count, example }]) => `${count}× ${key}\n${example}`).join('\n\n'),
    ).toBe('');
    expect(
      loggedErrors
        .slice(0, 10)
        .map(({ message, fields }) => `${message} ${JSON.stringify(fields).slice(0, 400)}`)
        .join('\n'),
    ).toBe('');

    // Healthy afterwards: ready, and a normal authorize for a fresh user still works.
    expect((await fetch(`${server.url}/api/v1/health/ready`)).status).toBe(200);
    // A user Tollgate knows (unknown ids are 404 UNKNOWN_USER); the fuzz used up the register limit.
    await ensureUser(server.deps.db, 'after-the-fuzz');
    const after = await trpc(
      server.url,
      'mutation',
      'usage.authorize',
      { userId: 'after-the-fuzz', runId: 'after-1' },
      credentials.service.slice('Bearer '.length),
    );
    expect(after.status).toBe(200);
    expect(after.data).toMatchObject({ runId: 'after-1', isReplay: false, state: 'reserved' });
  }, 240_000);
});
