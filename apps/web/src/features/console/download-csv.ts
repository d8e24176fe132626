import { toCsv, type CsvCell } from './csv';

/**
 * Saves rows as a CSV file through the browser's download (nothing is sent anywhere). The BOM lets
 * Excel read UTF-8 (names and emails with accents).
 */
export function downloadCsv(filename: string, rows: readonly (readonly CsvCell[])[]): void {
  const blob = new Blob(['\uFEFF', toCsv(rows)], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  // After the click has handed the blob to the download: revoking at once can cancel it in Safari.
  setTimeout(() => URL.revokeObjectURL(url), 1_000);
}
