import { packOffersFor } from '@tollgate/domain';
import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { nextTick } from 'vue';
import UpgradeModal from './upgrade-modal.vue';

function pressKey(key: string, options: KeyboardEventInit = {}) {
  const event = new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...options });
  (document.activeElement ?? document.body).dispatchEvent(event);
  return event;
}

async function openModal(currentPlan: 'FREE' | 'TRIAL' | 'BASIC' | 'PRO' = 'FREE') {
  const opener = document.createElement('button');
  opener.textContent = 'Upgrade';
  document.body.append(opener);
  opener.focus();
  const wrapper = mount(UpgradeModal, { props: { isOpen: false, currentPlan }, attachTo: document.body });
  await wrapper.setProps({ isOpen: true });
  await nextTick();
  return { wrapper, opener };
}

describe('UpgradeModal', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('is a labelled modal dialog that takes focus when it opens', async () => {
    const { wrapper } = await openModal();
    const dialog = wrapper.get('[role="dialog"]');
    expect(dialog.attributes('aria-modal')).toBe('true');
    expect(document.getElementById(dialog.attributes('aria-labelledby') ?? '')?.textContent).toBe(
      'Choose a plan',
    );
    expect(dialog.element.contains(document.activeElement)).toBe(true);
    expect(document.activeElement?.getAttribute('aria-label')).toBe('Close');
  });

  it('keeps Tab and Shift+Tab inside the dialog', async () => {
    const { wrapper } = await openModal();
    const focusables = wrapper
      .findAll('button:not([disabled])')
      .map((button) => button.element as HTMLElement);
    const first = focusables[0];
    const last = focusables[focusables.length - 1];
    if (!first || !last) throw new Error('the dialog has no buttons');

    last.focus();
    expect(pressKey('Tab').defaultPrevented).toBe(true);
    expect(document.activeElement).toBe(first);

    pressKey('Tab', { shiftKey: true });
    expect(document.activeElement).toBe(last);

    // Focus that escapes (a click behind the backdrop) is pulled back in.
    const outside = document.createElement('input');
    document.body.append(outside);
    outside.focus();
    expect(wrapper.get('[role="dialog"]').element.contains(document.activeElement)).toBe(true);
  });

  it('asks to close on Escape and gives focus back to the opener', async () => {
    const { wrapper, opener } = await openModal();
    pressKey('Escape');
    expect(wrapper.emitted('close')).toHaveLength(1);

    await wrapper.setProps({ isOpen: false });
    expect(wrapper.find('[role="dialog"]').exists()).toBe(false);
    expect(document.activeElement).toBe(opener);
  });

  it('compares the catalog plans and marks the current one', async () => {
    const { wrapper } = await openModal('BASIC');
    const plans = wrapper.findAll('[data-plan]');
    // TEAM is in the catalog but sold to team accounts only: a personal account is never offered it.
    expect(plans.map((plan) => plan.attributes('data-plan'))).toEqual(['FREE', 'BASIC', 'PRO']);
    expect(wrapper.find('[data-plan="TEAM"]').exists()).toBe(false);

    const current = wrapper.get('[data-plan="BASIC"]');
    expect(current.attributes('aria-current')).toBe('true');
    expect(current.text()).toContain('Current plan');
    expect(current.text()).toContain('$19 / month');
    expect(current.text()).toContain('100 runs / month');
    expect(current.get('button').attributes('disabled')).toBeDefined();
    expect(wrapper.get('[data-plan="PRO"]').attributes('aria-current')).toBeUndefined();
    expect(wrapper.get('[data-plan="PRO"]').text()).toContain('1,000 runs / month');
  });

  it('emits the chosen plan and shows which checkout is opening', async () => {
    const { wrapper } = await openModal('FREE');
    await wrapper.get('[data-plan="PRO"] button').trigger('click');
    expect(wrapper.emitted('choose')).toEqual([['PRO']]);

    await wrapper.setProps({ pendingPlan: 'PRO', error: null });
    expect(wrapper.get('[data-plan="PRO"] button').text()).toBe('Opening checkout…');
    expect(wrapper.get('[data-plan="BASIC"] button').attributes('disabled')).toBeDefined();

    await wrapper.setProps({ pendingPlan: null, error: 'Your card was declined.' });
    expect(wrapper.get('[role="alert"]').text()).toBe('Your card was declined.');
  });

  it('offers no packs unless the runs are used up (no `packs`)', async () => {
    const { wrapper } = await openModal('FREE');
    expect(wrapper.find('[data-testid="upgrade-packs"]').exists()).toBe(false);
  });

  it('out of runs: the packs sit beside the plans, and buying one asks for its checkout', async () => {
    const { wrapper } = await openModal('BASIC');
    await wrapper.setProps({ packs: packOffersFor('USAGE_LIMIT_REACHED') });

    const packs = wrapper.get('[data-testid="upgrade-packs"]');
    expect(packs.get('h3').text()).toBe('Or buy runs once');
    expect(packs.text()).toContain('expires 12 months after purchase');
    const buttons = packs.findAll('button');
    expect(buttons.map((button) => button.text())).toEqual(['Buy 100 runs — $10', 'Buy 1,000 runs — $80']);

    await buttons[1]?.trigger('click');
    expect(wrapper.emitted('buy-pack')).toEqual([['PACK_1000']]);

    await wrapper.setProps({ pendingPack: 'PACK_1000' });
    expect(packs.findAll('button')[1]?.text()).toBe('Opening checkout…');
    expect(wrapper.get('[data-plan="PRO"] button').attributes('disabled')).toBeDefined();
  });

  it("hides the packs from those who can't buy (a team's plain members)", async () => {
    const { wrapper } = await openModal('FREE');
    await wrapper.setProps({ packs: packOffersFor('USAGE_LIMIT_REACHED'), canChoose: false });
    expect(wrapper.find('[data-testid="upgrade-packs"]').exists()).toBe(false);
  });
});
