import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeTrpcError } from '../../../test/fake-trpc';
import { ISO } from '../../../test/fixtures';
import { mountWithApp } from '../../../test/mount-with-app';
import ApiKeysView from './api-keys-view.vue';

const KEY = 'tg_sk_abcdef0123456789abcdef0123456789abcdef01234';
const existing = {
  id: '0b0c6f7e-3a1f-4f7e-9a55-2c1d1e0f0a01',
  name: 'agent backend',
  prefix: 'tg_sk_Xy12Ab',
  scopes: ['runs:authorize', 'runs:release'],
  createdAt: ISO(-3),
  lastUsedAt: ISO(-1),
  revokedAt: null,
  createdByUserId: 'u1',
};
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

/** Without `list`, apiKeys.list answers what the create handler has added to the one existing key. */
function mountPage(platformRole: 'operator' | null, list?: () => unknown) {
  let rows: unknown[] = [existing];
  return mountWithApp(ApiKeysView, {
    path: '/sessions',
    handlers: {
      'auth.me': () => ({ id: 'u1', email: 'ada@example.com', createdAt: ISO(-30), platformRole }),
      'apiKeys.list': () => (list === undefined ? rows : list()),
      'apiKeys.create': (input) => {
        const { name, scopes } = input as { name: string; scopes: string[] };
        const row = {
          ...existing,
          id: '0b0c6f7e-3a1f-4f7e-9a55-2c1d1e0f0a02',
          name,
          scopes,
          lastUsedAt: null,
        };
        rows = [row, ...rows];
        return { id: row.id, name, prefix: 'tg_sk_abcdef', scopes, createdAt: ISO(0), key: KEY };
      },
      'apiKeys.revoke': (input) => ({ id: (input as { id: string }).id, revoked: true }),
    },
  });
}

function stubClipboard(writeText: (text: string) => Promise<void>) {
  Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
}

describe('Operator › API keys', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('tells a non-operator the page is for operators only, and asks the server for no keys', async () => {
    const { wrapper, fake } = await mountPage(null);
    await settle();
    expect(wrapper.get('[data-testid="operators-only"]').text()).toContain('Operators only');
    expect(fake.callsTo('apiKeys.list')).toHaveLength(0);
    expect(wrapper.find('form').exists()).toBe(false);
  });

  it('a role taken away since (403 on the list) gets the same answer', async () => {
    const { wrapper } = await mountPage('operator', () => {
      throw new FakeTrpcError('FORBIDDEN', 403, 'Platform operators only');
    });
    await settle();
    expect(wrapper.find('[data-testid="operators-only"]').exists()).toBe(true);
  });

  it('lists the keys with their scopes and when they were last used', async () => {
    const { wrapper } = await mountPage('operator');
    await settle();
    const row = wrapper.get('[data-testid="api-key-row"]');
    expect(row.text()).toContain('agent backend');
    expect(row.text()).toContain('tg_sk_Xy12Ab…');
    expect(row.text()).toContain('runs:authorize, runs:release');
    expect(row.get('[data-testid="api-key-last-used"]').text()).toMatch(/^Last used /);
  });

  it('creates a key from a name and scopes, shows it once and copies it', async () => {
    const writeText = vi.fn(async () => undefined);
    stubClipboard(writeText);
    const { wrapper, fake } = await mountPage('operator');
    await settle();

    await wrapper.get('form').trigger('submit');
    expect(wrapper.get('form [role="alert"]').text()).toContain('Give the key a name');
    await wrapper.get('#api-key-name').setValue('  billing worker ');
    await wrapper.get('form').trigger('submit');
    expect(wrapper.get('form [role="alert"]').text()).toBe('Choose at least one scope.');
    expect(fake.callsTo('apiKeys.create')).toHaveLength(0);

    await wrapper.get('input[value="subscriptions:read"]').setValue(true);
    await wrapper.get('form').trigger('submit');
    await settle();

    expect(fake.callsTo('apiKeys.create')[0]?.input).toEqual({
      name: 'billing worker',
      scopes: ['subscriptions:read'],
    });
    const shown = wrapper.get('[data-testid="created-key"]');
    expect((shown.get('input').element as HTMLInputElement).value).toBe(KEY);
    expect(shown.text()).toContain('shown only this once');
    expect((wrapper.get('#api-key-name').element as HTMLInputElement).value).toBe('');
    expect(wrapper.findAll('[data-testid="api-key-row"]')).toHaveLength(2);

    await shown
      .findAll('button')
      .find((button) => button.text() === 'Copy')
      ?.trigger('click');
    await settle();
    expect(writeText).toHaveBeenCalledWith(KEY);
    expect(wrapper.get('[data-testid="copy-status"]').text()).toBe('Copied to the clipboard.');

    await shown
      .findAll('button')
      .find((button) => button.text() === "I've stored it")
      ?.trigger('click');
    expect(wrapper.find('[data-testid="created-key"]').exists()).toBe(false);
    expect(wrapper.text()).not.toContain(KEY);
  });

  it('without a usable clipboard selects the key and says how to copy it', async () => {
    stubClipboard(async () => {
      throw new Error('NotAllowedError');
    });
    const { wrapper } = await mountPage('operator');
    await settle();
    await wrapper.get('#api-key-name').setValue('worker');
    await wrapper.get('input[value="runs:authorize"]').setValue(true);
    await wrapper.get('form').trigger('submit');
    await settle();

    await wrapper.get('[data-testid="created-key"] button').trigger('click');
    await settle();
    expect(wrapper.get('[data-testid="copy-status"]').text()).toContain("Couldn't copy automatically");
  });

  it('revokes a key only after a confirmation', async () => {
    const { wrapper, fake } = await mountPage('operator');
    await settle();

    await wrapper.get('button[aria-label="Revoke agent backend"]').trigger('click');
    expect(fake.callsTo('apiKeys.revoke')).toHaveLength(0);
    const confirmation = wrapper.get('[data-testid="api-key-row"] [role="alert"]');
    expect(confirmation.text()).toContain('Revoke “agent backend”?');

    await confirmation
      .findAll('button')
      .find((button) => button.text() === 'Keep it')
      ?.trigger('click');
    expect(wrapper.find('[data-testid="api-key-row"] [role="alert"]').exists()).toBe(false);

    await wrapper.get('button[aria-label="Revoke agent backend"]').trigger('click');
    await wrapper.get('[data-testid="api-key-row"] .button--danger').trigger('click');
    await settle();
    expect(fake.callsTo('apiKeys.revoke').map((call) => call.input)).toEqual([{ id: existing.id }]);
  });
});
