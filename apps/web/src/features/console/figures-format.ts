import { formatCount, formatMoney } from '../../lib/format';

/** A ratio as the server sends it: exact parts and basis points (10,000 = 100 %); null when undefined. */
export interface Rate {
  numerator: number;
  denominator: number;
  basisPoints: number;
}

const NOT_AVAILABLE = 'n/a';

/** Integer cents → "$1,234.50"; null (no figure) → "n/a". */
export function centsText(cents: number | null, currency = 'usd'): string {
  return cents === null ? NOT_AVAILABLE : formatMoney(cents, currency);
}

/** 1234 basis points → "12.34 %", from integers (no float rounding can show 12.339999). */
export function basisPointsText(basisPoints: number): string {
  const sign = basisPoints < 0 ? '-' : '';
  const magnitude = Math.abs(basisPoints);
  const fraction = String(magnitude % 100).padStart(2, '0');
  return `${sign}${formatCount(Math.trunc(magnitude / 100))}.${fraction} %`;
}

export function rateText(rate: Rate | null): string {
  return rate === null ? NOT_AVAILABLE : basisPointsText(rate.basisPoints);
}

export function countText(value: number | null): string {
  return value === null ? NOT_AVAILABLE : formatCount(value);
}

/** For CSV: cents as "1234.50" (a spreadsheet reads it as a number), built from integers. */
export function centsCsv(cents: number | null): string | null {
  if (cents === null) return null;
  const sign = cents < 0 ? '-' : '';
  const magnitude = Math.abs(cents);
  return `${sign}${Math.trunc(magnitude / 100)}.${String(magnitude % 100).padStart(2, '0')}`;
}

/** For CSV: basis points as a percentage with two decimals ("12.34"). */
export function rateCsv(rate: Rate | null): string | null {
  if (rate === null) return null;
  return basisPointsText(rate.basisPoints).replace(/ %$/, '').replace(/,/g, '');
}

/** For charts only (an axis needs a number): never summed or compared. */
export function centsToChartDollars(cents: number): number {
  return cents / 100;
}

export function rateToChartPercent(rate: Rate | null): number | null {
  return rate === null ? null : rate.basisPoints / 100;
}
