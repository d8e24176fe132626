import { isLuhnValid, normalizeCardNumber } from '../cards';
import { momentAt } from '../context';
import type { EmulatorContext } from '../context';
import { previousAttributes } from '../diff';
import { invalidRequest } from '../errors';
import type { Moment } from '../events';
import { savePaymentMethod } from '../objects/payment-method';
import { wireCopy } from '../store';
import { getCustomer } from './lookups';
import { processDue } from './renewals';

/**
 * Puts a test card on file for a customer, as a test's arrangement step: a new card PaymentMethod
 * attached to the customer and set as `invoice_settings.default_payment_method` (customer.updated).
 * Unlike Stripe's attach, any Luhn-valid number is accepted, 4000 0000 0000 0002 included: it stands
 * for a card that was saved while good and is declined now, which is what off-session tests need.
 * The customer's subscriptions keep their own default_payment_method. Returns the pm_ id.
 */
export function setDefaultCard(
  ctx: EmulatorContext,
  customerId: string,
  rawCardNumber: string,
  moment: Moment,
): string {
  const customer = getCustomer(ctx, customerId);
  const number = normalizeCardNumber(rawCardNumber);
  if (!isLuhnValid(number))
    throw invalidRequest('Your card number is incorrect.', 'card', 'incorrect_number');
  const paymentMethodId = savePaymentMethod(ctx.store, customer.id, number, moment.at);
  const before = wireCopy(customer);
  customer.invoice_settings.default_payment_method = paymentMethodId;
  const previous = previousAttributes(before, customer);
  if (previous) ctx.events.emit('customer.updated', customer, moment, previous);
  return paymentMethodId;
}

/** setDefaultCard at the emulator's now, after whatever fell due (the control API and in-process). */
export function setDefaultCardByControl(
  ctx: EmulatorContext,
  customerId: string,
  rawCardNumber: string,
): string {
  const now = ctx.clock.nowSeconds();
  processDue(ctx, now);
  return setDefaultCard(ctx, customerId, rawCardNumber, momentAt(now));
}
