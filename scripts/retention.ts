// Erases citizens' data past their tenant's retention (issue 18), as the worker does every hour:
// `npm run retention -- --as-of 2030-01-01 [--dry-run]` (without --as-of: now). It says what it did, or would do.
// An operator's command with the application's configuration (the timeline keys compute the erased fields' commitments).
import { loadConfig, timelineKeyring } from '@relais/config'
import { createOwnerKysely, createPool } from '@relais/db'
import { runRetention, useTimelineKeys } from '@relais/referrals'

const args = process.argv.slice(2)
const dryRun = args.includes('--dry-run')
const at = args.indexOf('--as-of')
const asOfText = at >= 0 ? args[at + 1] : undefined
const unknown = args.filter((a, i) => a !== '--dry-run' && a !== '--as-of' && i !== at + 1)
const asOf = asOfText ? new Date(/^\d{4}-\d{2}-\d{2}$/.test(asOfText) ? `${asOfText}T00:00:00Z` : asOfText) : new Date()
if (unknown.length || (at >= 0 && !asOfText) || Number.isNaN(asOf.getTime())) {
  console.error('Usage : npm run retention -- [--as-of AAAA-MM-JJ] [--dry-run]')
  process.exit(2)
}
const config = loadConfig()
useTimelineKeys(timelineKeyring(config))
const db = createOwnerKysely(createPool(config.DATABASE_URL, 2))
try {
  const report = await runRetention(db, { asOf, dryRun, now: new Date() })
  const verb = dryRun ? 'serait anonymisée' : 'anonymisée'
  console.log(`Conservation des données des usagers au ${asOf.toISOString().slice(0, 10)}${dryRun ? ' (simulation : rien n’est modifié)' : ''}.`)
  for (const t of report.tenants) {
    console.log(`Département ${t.code} : conservation ${t.retentionMonths} mois après la clôture, saisines closes avant le ${t.cutoff.slice(0, 10)}.`)
    for (const r of t.referrals) console.log(`  ${r.reference} (close le ${r.closedAt.slice(0, 10)}) : ${verb}.`)
    console.log(`  ${t.referrals.length} saisine(s), ${t.eventsErased} événement(s) dont les textes ${dryRun ? 'seraient' : 'sont'} effacés${dryRun ? '' : `, ${t.attachmentsErased} pièce(s) jointe(s) effacée(s)`}${t.legacyEventsKept ? `, ${t.legacyEventsKept} événement(s) antérieurs au scellement gardés tels quels` : ''}.`)
  }
  console.log(`${report.referrals} saisine(s) ${dryRun ? 'à anonymiser' : 'anonymisée(s)'}.`)
} finally {
  await db.destroy()
}
