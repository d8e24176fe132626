import { flushPromises } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import SignedInLayout from '../../../components/signed-in-layout.vue';
import {
  ISO,
  OTHER_TEAM_ID,
  TEAM_ID,
  accountFixture,
  overviewFixture,
  teamFixture,
} from '../../../test/fixtures';
import { mountWithApp } from '../../../test/mount-with-app';
import { useAccountsStore } from '../accounts.store';

const createdTeam = teamFixture({ id: OTHER_TEAM_ID, name: 'Research', plan: 'FREE' });

function mountLayout() {
  return mountWithApp(SignedInLayout, {
    handlers: {
      'accounts.list': () => [accountFixture(), teamFixture({ role: 'admin' })],
      'accounts.create': () => createdTeam,
      'auth.me': () => ({ id: 'u1', email: 'ada@example.com', createdAt: ISO(-30), platformRole: null }),
      'billing.subscription': () => overviewFixture('FREE'),
    },
  });
}

const switcherButton = () => document.getElementById('account-switcher-button') as HTMLButtonElement;
const menuItems = () => [
  ...document.querySelectorAll<HTMLElement>('#account-switcher-menu [role^="menuitem"]'),
];

describe('AccountSwitcher', () => {
  afterEach(() => {
    document.body.innerHTML = '';
    window.sessionStorage.clear();
  });

  it('shows the active account and opens a keyboard-operable menu of the others', async () => {
    await mountLayout();
    const button = switcherButton();
    expect(button.textContent).toContain('Personal');
    expect(button.getAttribute('aria-haspopup')).toBe('menu');
    expect(button.getAttribute('aria-expanded')).toBe('false');

    button.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));
    await flushPromises();
    expect(button.getAttribute('aria-expanded')).toBe('true');
    expect(menuItems().map((item) => item.getAttribute('aria-label') ?? item.textContent?.trim())).toEqual([
      'Personal (Your own)',
      'Acme (Admin)',
      '+Create team…',
    ]);
    expect(menuItems()[0]?.getAttribute('aria-checked')).toBe('true');
    expect(document.activeElement).toBe(menuItems()[0]);

    const menu = document.getElementById('account-switcher-menu') as HTMLElement;
    menu.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));
    expect(document.activeElement).toBe(menuItems()[1]);
    menu.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    await flushPromises();
    expect(button.getAttribute('aria-expanded')).toBe('false');
    expect(document.activeElement).toBe(button);
  });

  it('switching to a team sends its header, shows it in the header with a Members link', async () => {
    const { fake, pinia } = await mountLayout();
    switcherButton().click();
    await flushPromises();
    menuItems()[1]?.click();
    await flushPromises();

    expect(useAccountsStore(pinia).activeId).toBe(TEAM_ID);
    // The header was remounted for the new account: a new button, focused, naming the team.
    expect(switcherButton().textContent).toContain('Acme');
    expect(document.activeElement).toBe(switcherButton());
    const nav = [...document.querySelectorAll('nav a')].map((link) => link.textContent?.trim());
    expect(nav).toContain('Members');
    expect(document.querySelector(`nav a[href="/accounts/${TEAM_ID}/members"]`)).not.toBeNull();
    // The billing overview was read again, for the team.
    expect(fake.callsTo('billing.subscription').map((call) => call.account)).toEqual([null, TEAM_ID]);
  });

  it('"Create team…" asks for a name, creates the team and opens its Members page', async () => {
    const { fake, router, pinia } = await mountLayout();
    switcherButton().click();
    await flushPromises();
    menuItems().at(-1)?.click();
    await flushPromises();

    const dialog = document.querySelector('[role="dialog"]') as HTMLElement;
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(dialog.textContent).toContain('Create a team');
    const input = document.getElementById('create-team-name') as HTMLInputElement;
    expect(document.activeElement).toBe(input);

    // An empty name is refused in place.
    dialog.querySelector('form')?.dispatchEvent(new Event('submit'));
    await flushPromises();
    expect(dialog.querySelector('[role="alert"]')?.textContent).toContain('Give the team a name');
    expect(fake.callsTo('accounts.create')).toHaveLength(0);

    input.value = '  Research ';
    input.dispatchEvent(new Event('input'));
    dialog.querySelector('form')?.dispatchEvent(new Event('submit'));
    await flushPromises();

    expect(fake.callsTo('accounts.create').map((call) => call.input)).toEqual([{ name: 'Research' }]);
    expect(useAccountsStore(pinia).activeId).toBe(OTHER_TEAM_ID);
    expect(router.currentRoute.value.path).toBe(`/accounts/${OTHER_TEAM_ID}/members`);
    expect(document.querySelector('[role="dialog"]')).toBeNull();
    expect(switcherButton().textContent).toContain('Research');
  });
});
