import { initTRPC } from '@trpc/server';
import { describe, expect, it } from 'vitest';

/**
 * @trpc/server is patched (patches/, README "Patched dependencies"): the helper its build uses for
 * object spread copies with Object.assign. These are the copies tRPC makes of a call's options and
 * context on every middleware level; they must still behave as the spread in tRPC's source does.
 */
const t = initTRPC.context<Record<string, unknown>>().create();

function callerWith(extraContext: Record<string, unknown>) {
  const procedure = t.procedure
    .use(({ next }) => next({ ctx: { added: 'by middleware', shared: 'middleware' } }))
    .use(({ next }) => next({ ctx: extraContext }))
    .query(({ ctx }) => ctx);
  return t.createCallerFactory(t.router({ read: procedure }))({ base: 1, shared: 'context' });
}

describe("tRPC's context merge (patched spread helper)", () => {
  it('keeps the base context, adds what middleware adds, and lets a later value win', async () => {
    const ctx = await callerWith({ more: true }).read();
    expect(ctx).toEqual({ base: 1, shared: 'middleware', added: 'by middleware', more: true });
    expect(Object.getPrototypeOf(ctx)).toBe(Object.prototype);
  });

  it('copies an own "__proto__" key as data, never as the prototype (a parsed body can hold one)', async () => {
    const parsed = JSON.parse('{"__proto__": {"isOperator": true}, "tag": "x"}') as Record<string, unknown>;
    const ctx = await callerWith(parsed).read();
    expect(Object.getPrototypeOf(ctx)).toBe(Object.prototype);
    expect((ctx as { isOperator?: boolean }).isOperator).toBeUndefined();
    expect(Object.hasOwn(ctx, '__proto__')).toBe(true);
    expect(ctx.tag).toBe('x');
  });

  it('copies symbol keys too', async () => {
    const key = Symbol('key');
    const ctx = await callerWith({ [key]: 'symbol value' }).read();
    expect(ctx[key as unknown as string]).toBe('symbol value');
  });
});
