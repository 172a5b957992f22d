import PDFDocument from 'pdfkit'

// One way to write a PDF for the whole product (convention receipts, privacy exports, reports): a document is a
// list of plain blocks, so callers describe content and never position text themselves.

export type PdfBlock =
  | { heading: string }
  | { paragraph: string }
  /** Label → value lines (evidence, metadata). */
  | { fields: Array<[string, string]> }
  | { table: { columns: string[]; rows: string[][] } }
  /** Fixed-width text that must be readable exactly (hashes, references). */
  | { mono: string }
  | { pageBreak: true }

export interface PdfSpec {
  title: string
  subtitle?: string
  /** Written into the document's metadata and used as its creation date (same input, same date). */
  createdAt?: Date
  author?: string
  blocks: PdfBlock[]
  /** Printed at the bottom of every page, with the page number. */
  footer?: string
}

const MARGIN = 56

export function renderPdf(spec: PdfSpec): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    bufferPages: true,
    lang: 'fr-FR',
    displayTitle: true,
    info: {
      Title: spec.title,
      Author: spec.author ?? 'Relais',
      Creator: 'Relais',
      Producer: 'Relais',
      CreationDate: spec.createdAt ?? new Date(),
    },
  })
  const chunks: Buffer[] = []
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c))
    doc.on('end', () => resolve(Buffer.concat(chunks)))
    doc.on('error', reject)
  })
  const width = doc.page.width - 2 * MARGIN

  doc.font('Helvetica-Bold').fontSize(18).text(printable(spec.title), { width })
  if (spec.subtitle) doc.moveDown(0.3).font('Helvetica').fontSize(11).fillColor('#444').text(printable(spec.subtitle), { width }).fillColor('black')
  doc.moveDown(1)

  for (const block of spec.blocks) {
    if ('heading' in block) {
      doc.moveDown(0.6).font('Helvetica-Bold').fontSize(13).text(printable(block.heading), { width }).moveDown(0.3)
    } else if ('paragraph' in block) {
      doc.font('Helvetica').fontSize(10.5).text(printable(block.paragraph), { width, align: 'left' }).moveDown(0.5)
    } else if ('fields' in block) {
      for (const [label, value] of block.fields) {
        doc.font('Helvetica-Bold').fontSize(10.5).text(`${printable(label)} : `, { width, continued: true })
        doc.font('Helvetica').text(printable(value || '—'))
      }
      doc.moveDown(0.5)
    } else if ('mono' in block) {
      doc.font('Courier').fontSize(9.5).text(printable(block.mono), { width }).moveDown(0.5)
    } else if ('table' in block) {
      table(doc, block.table.columns, block.table.rows, width)
    } else if ('pageBreak' in block) {
      doc.addPage()
    }
  }

  const range = doc.bufferedPageRange()
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i)
    const text = `${spec.footer ? `${printable(spec.footer)} — ` : ''}page ${i + 1} sur ${range.count}`
    // Writing inside the bottom margin would make pdfkit add a page: lift the margin while writing.
    const bottom = doc.page.margins.bottom
    doc.page.margins.bottom = 0
    doc.font('Helvetica').fontSize(8).fillColor('#555').text(text, MARGIN, doc.page.height - 36, { width, align: 'center', lineBreak: false })
    doc.page.margins.bottom = bottom
    doc.fillColor('black')
  }
  doc.end()
  return done
}

function table(doc: PDFKit.PDFDocument, columns: string[], rows: string[][], width: number) {
  const col = width / Math.max(columns.length, 1)
  const line = (cells: string[], bold: boolean) => {
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(9)
    const heights = cells.map((c) => doc.heightOfString(printable(c), { width: col - 6 }))
    const h = Math.max(12, ...heights) + 4
    if (doc.y + h > doc.page.height - doc.page.margins.bottom) doc.addPage()
    const y = doc.y
    cells.forEach((c, i) => doc.text(printable(c), MARGIN + i * col, y + 2, { width: col - 6 }))
    doc.moveTo(MARGIN, y + h).lineTo(MARGIN + width, y + h).lineWidth(0.5).strokeColor('#999').stroke()
    doc.x = MARGIN
    doc.y = y + h
  }
  line(columns, true)
  for (const r of rows) line(r, false)
  doc.moveDown(0.8)
}

// The standard PDF fonts are WinAnsi: French letters, « », ’ and € are in it; anything else (emoji, other scripts)
// would print as garbage, so it is replaced by a visible "?".
const WIN_ANSI_EXTRA = '€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ'
function printable(text: string): string {
  let out = ''
  for (const ch of text.normalize('NFC')) {
    const code = ch.codePointAt(0)!
    if (ch === '\n' || ch === '\t' || (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || WIN_ANSI_EXTRA.includes(ch)) out += ch
    else if (ch === '\u202f' || ch === '\u2009') out += '\u00a0'
    else if (ch === '\r') continue
    else out += '?'
  }
  return out
}
