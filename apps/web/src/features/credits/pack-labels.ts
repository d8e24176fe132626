import { RUN_PACK_VALIDITY_MONTHS, formatPrice, type PackOffer } from '@tollgate/domain';

/** "Buy 100 runs — $10": the pack's button wherever it is offered (settings, a 402, the upgrade modal). */
export function buyPackLabel(pack: Pick<PackOffer, 'name' | 'priceCents' | 'currency'>): string {
  return `Buy ${pack.name} — ${formatPrice(pack.priceCents, pack.currency)}`;
}

/** "$0.10 per run". */
export function perUnitPrice(
  pack: Pick<PackOffer, 'units' | 'priceCents' | 'currency'>,
  unit = 'run',
): string {
  return `${formatPrice(Math.round(pack.priceCents / pack.units), pack.currency)} per ${unit}`;
}

export const PACK_VALIDITY_TEXT = `expires ${RUN_PACK_VALIDITY_MONTHS} months after purchase`;
