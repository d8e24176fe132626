import { flushPromises } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeTrpcError } from '../../../test/fake-trpc';
import { mountWithApp } from '../../../test/mount-with-app';
import { customerPage, customerRow } from '../console-fixtures';
import ConsoleCustomersView from './console-customers-view.vue';

function mountPage(path = '/sessions', customers: () => unknown = () => customerPage([customerRow()], 60)) {
  return mountWithApp(ConsoleCustomersView, { path, handlers: { 'admin.customers': customers } });
}

describe('Console › customers', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('asks the server for what the URL says, and lists the rows', async () => {
    const { wrapper, fake } = await mountPage('/sessions?q=grace&plan=PRO&overage=1&sort=usage&page=2');
    expect(fake.callsTo('admin.customers')[0]?.input).toEqual({
      query: 'grace',
      plans: ['PRO'],
      overageOnly: true,
      sort: 'usage',
      direction: 'desc',
      page: 2,
      pageSize: 25,
    });
    const row = wrapper.get('[data-testid="customer-row"]');
    expect(row.text()).toContain('grace@example.com');
    expect(row.text()).toContain('850 / 1,000');
    expect(row.text()).toContain('(85.00 %)');
    expect(row.get('a').attributes('href')).toBe('/console/customers/00000000-0000-4000-8000-00000000c001');
    expect(wrapper.text()).toContain('26–50 of 60');
  });

  it('a search puts the words in the URL, from the first page, and the server is asked again', async () => {
    const { wrapper, fake, router } = await mountPage('/sessions?page=3');
    await wrapper.get('#customer-search').setValue('ada@example.com');
    await wrapper.get('form[role="search"]').trigger('submit');
    await flushPromises();
    expect(router.currentRoute.value.query).toEqual({ q: 'ada@example.com' });
    expect(fake.callsTo('admin.customers').at(-1)?.input).toMatchObject({
      query: 'ada@example.com',
      page: 1,
    });
  });

  it('filters and sorts through the URL', async () => {
    const { wrapper, router } = await mountPage();
    const pastDue = wrapper.findAll('label').find((label) => label.text() === 'Payment past due');
    await pastDue?.get('input').setValue(true);
    await flushPromises();
    expect(router.currentRoute.value.query).toEqual({ pastDue: '1' });

    expect(wrapper.get('th[aria-sort="descending"]').text()).toContain('Created');
    const emailHeader = wrapper.findAll('th button').find((button) => button.text().startsWith('Customer'));
    await emailHeader?.trigger('click');
    await flushPromises();
    expect(router.currentRoute.value.query).toEqual({ pastDue: '1', sort: 'email', dir: 'asc' });
    expect(wrapper.get('th[aria-sort="ascending"]').text()).toContain('Customer');
  });

  it('pages with Next, and says when nothing matches', async () => {
    const { wrapper, router } = await mountPage();
    await wrapper
      .findAll('button')
      .find((button) => button.text() === 'Next')
      ?.trigger('click');
    await flushPromises();
    expect(router.currentRoute.value.query).toEqual({ page: '2' });

    const empty = await mountPage('/sessions?q=nobody', () => customerPage([], 0));
    expect(empty.wrapper.get('[data-testid="no-customers"]').text()).toContain('No customer matches');
  });

  it('a 403 shows the operators-only notice', async () => {
    const { wrapper } = await mountPage('/sessions', () => {
      throw new FakeTrpcError('FORBIDDEN', 403, 'Platform staff only');
    });
    expect(wrapper.find('[data-testid="operators-only"]').exists()).toBe(true);
  });
});
