/** One row of the RESULTS.md figures table. */
export interface Row {
  figure: string;
  measured: string;
  baseline: string;
  ratio: string;
  target: string;
  /** true / false, or null for a baseline; a string when a row has two targets (or is skipped). */
  isMet: boolean | null | string;
}

export const rate = (perSecond: number, unit = '/s') =>
  `${Math.round(perSecond).toLocaleString('en-US')}${unit}`;
export const times = (ratio: number) => `${ratio.toFixed(1)}×`;
export const percent = (ratio: number) => `${Math.round(ratio * 100)}%`;
export const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
export const ms = (value: number) => `${value.toFixed(1)} ms`;
export const count = (n: number) => n.toLocaleString('en-US');
export const yesNo = (isMet: boolean) => (isMet ? 'yes' : '**no**');
export const met = (isMet: boolean | null | string) =>
  typeof isMet === 'string' ? isMet : isMet === null ? '—' : yesNo(isMet);
export const ok = (isOk: boolean) => (isOk ? '**PASS**' : '**FAIL**');

/** A row as a markdown table line (the standalone scripts print the rows RESULTS.md would get). */
export function rowLine(r: Row): string {
  return `| ${r.figure} | ${r.measured} | ${r.baseline} | ${r.ratio} | ${r.target} | ${met(r.isMet)} |`;
}

/** The rounds behind a median, for the details: "34.7×, 30.1×, 36.2×". */
export function roundsNote(values: readonly number[], show: (value: number) => string): string {
  return values.map(show).join(', ');
}
