// Every CSV the application writes goes through writeCsv: a cell a spreadsheet would run as a formula is written
// as text, whatever the name someone typed (an organisation called =HYPERLINK("https://…") stays a name).
import { stringify } from 'csv-stringify/sync'

/** What opens a formula in Excel, LibreOffice or Google Sheets (CR and tab too: some strip them first). */
const FORMULA_START = /^[=+\-@\t\r]/

/** The cell as a spreadsheet must show it: after a quote when it would otherwise run as a formula. */
export function spreadsheetCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value
}

/** A cell read back from a file we wrote (or a spreadsheet saved): the quote spreadsheetCell added is dropped. */
export function fromSpreadsheetCell(value: string): string {
  return value.startsWith("'") && FORMULA_START.test(value.slice(1)) ? value.slice(1) : value
}

/** `;`-separated, UTF-8 with a BOM (so that Excel reads the accents), CRLF, every cell neutralised. */
export function writeCsv(columns: readonly string[], rows: readonly (readonly (string | null | undefined)[])[]): string {
  return stringify(rows.map((row) => row.map((cell) => spreadsheetCell(cell ?? ''))), {
    delimiter: ';', bom: true, header: true, columns: columns.map(spreadsheetCell), record_delimiter: '\r\n',
  })
}
