import { flushPromises } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { mountWithApp } from '../../../test/mount-with-app';
import { ACCOUNT_ID, auditRow } from '../console-fixtures';
import ConsoleAuditView from './console-audit-view.vue';

/** 50 rows newest first (ids 120 → 71), then the 3 oldest. */
const auditLog = (input: unknown) => {
  const { beforeId } = input as { beforeId?: number };
  if (beforeId === undefined) return Array.from({ length: 50 }, (_, index) => auditRow(120 - index));
  return [auditRow(3), auditRow(2), auditRow(1)];
};

describe('Console › audit log', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('filters by what the URL says, newest first, and loads older rows with the last id as cursor', async () => {
    const { wrapper, fake } = await mountWithApp(ConsoleAuditView, {
      path: `/sessions?account=${ACCOUNT_ID}&action=grant_credits`,
      handlers: { 'admin.auditLog': auditLog },
    });
    expect(fake.callsTo('admin.auditLog')[0]?.input).toEqual({
      accountId: ACCOUNT_ID,
      action: 'grant_credits',
      limit: 50,
    });
    expect(wrapper.findAll('[data-testid="audit-row"]')).toHaveLength(50);
    expect(wrapper.get('[data-testid="audit-row"]').text()).toContain('reason 120');

    await wrapper
      .findAll('button')
      .find((button) => button.text() === 'Load more')
      ?.trigger('click');
    await flushPromises();
    expect(fake.callsTo('admin.auditLog')[1]?.input).toMatchObject({ beforeId: 71 });
    expect(wrapper.findAll('[data-testid="audit-row"]')).toHaveLength(53);
    // A short page was the last: nothing more to load.
    expect(wrapper.findAll('button').some((button) => button.text() === 'Load more')).toBe(false);
  });

  it('a new filter goes into the URL and starts from the newest row again', async () => {
    const { wrapper, fake, router } = await mountWithApp(ConsoleAuditView, {
      handlers: { 'admin.auditLog': auditLog },
    });
    await wrapper.get('#audit-actor').setValue('u-support-7');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(router.currentRoute.value.query).toEqual({ actor: 'u-support-7' });
    expect(fake.callsTo('admin.auditLog').at(-1)?.input).toEqual({ actorUserId: 'u-support-7', limit: 50 });
  });
});
