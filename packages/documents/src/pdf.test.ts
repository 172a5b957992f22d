import t from 'tap'
import { renderPdf } from './pdf.js'
import { pdfText } from '../../../test/helpers/pdf.js'

t.test('a PDF holds its French text, its fields and a table, readable back', async (t) => {
  const hash = 'a3f1c2'.repeat(10) + 'beef'
  const pdf = await renderPdf({
    title: 'Convention de partenariat — Relais de l’Indre',
    subtitle: 'Version 2 en vigueur le 1er décembre 2026',
    createdAt: new Date('2026-11-29T10:00:00Z'),
    footer: 'Accusé de signature',
    blocks: [
      { heading: 'Article 1 — Objet' },
      { paragraph: 'La CAF s’engage à répondre « au plus tard » dans les 3 jours ouvrés. Coût : 0 €.' },
      { fields: [['Signataire', 'Élodie Aubert'], ['Qualité', 'Directrice de la CAF de l’Indre']] },
      { mono: hash },
      { table: { columns: ['Organisation', 'État'], rows: Array.from({ length: 80 }, (_, i) => [`Organisme ${i}`, i % 2 ? 'signée' : 'en attente']) } },
      { paragraph: 'Emoji 🙂 remplacé.' },
    ],
  })
  t.equal(pdf.subarray(0, 5).toString(), '%PDF-')
  const text = await pdfText(pdf)
  for (const s of ['Convention de partenariat', 'Relais de l’Indre', 's’engage', '« au plus tard »', '0 €', 'Élodie Aubert', 'Directrice de la CAF de l’Indre', hash, 'Organisme 79', 'Emoji ? remplacé']) {
    t.ok(text.includes(s), `reads back ${s}`)
  }
  t.match(text, /page 1 sur [2-9]/, 'numbered pages, the table ran onto more pages')
})
