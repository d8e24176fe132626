import { flushPromises } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { mountWithApp } from '../../../test/mount-with-app';
import { analyticsFixture } from '../console-fixtures';
import ConsoleDashboardView from './console-dashboard-view.vue';

describe('Console › dashboard', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('asks for the URL’s months and plans, and shows every figure as a chart and a table', async () => {
    const { wrapper, fake } = await mountWithApp(ConsoleDashboardView, {
      path: '/sessions?from=2026-02&to=2026-03&plan=PRO',
      handlers: { 'admin.analytics': () => analyticsFixture() },
    });
    expect(fake.callsTo('admin.analytics')[0]?.input).toEqual({
      from: '2026-02',
      to: '2026-03',
      plans: ['PRO'],
    });
    const panels = wrapper.findAll('.chart-panel');
    expect(panels).toHaveLength(8);
    expect(panels.map((panel) => panel.get('h2').text())).toContain('MRR movements');
    const retention = wrapper.get('[data-testid="chart-retention"]');
    expect(retention.get('tbody tr:nth-child(2)').text()).toContain('n/a');
    expect(retention.findAll('button').map((button) => button.text())).toContain(
      'Download CSV of Churn and net revenue retention',
    );
  });

  it('checks the range before asking, and puts a valid one in the URL', async () => {
    const { wrapper, fake, router } = await mountWithApp(ConsoleDashboardView, {
      handlers: { 'admin.analytics': () => analyticsFixture() },
    });
    await wrapper.get('#analytics-from').setValue('2026-03');
    await wrapper.get('#analytics-to').setValue('2026-01');
    await wrapper.get('form').trigger('submit');
    expect(wrapper.get('[role="alert"]').text()).toBe('The first month must come before the last.');
    expect(fake.callsTo('admin.analytics')).toHaveLength(1);

    await wrapper.get('#analytics-to').setValue('2026-04');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(router.currentRoute.value.query).toEqual({ from: '2026-03', to: '2026-04' });
    expect(fake.callsTo('admin.analytics').at(-1)?.input).toEqual({ from: '2026-03', to: '2026-04' });
  });
});
