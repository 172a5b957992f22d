// Stale fiches: once past its review-by date, a published fiche is flagged in lists and pages, and its organisation's
// admins are reminded by mail, once per review period (a new review-by date starts a new period).
import { crossTenant, withTenant, type DB } from '@relais/db'
import * as repo from '@relais/db/repositories/fiches'
import { enqueueMail } from '@relais/referrals/outbox'
import { networkAdmins, orgAdmins } from '@relais/referrals/recipients'

/** The day in the network's time zone: a fiche is stale from the day after its review-by date. */
export function reviewDay(now: Date, timeZone = 'Europe/Paris'): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now)
}

/**
 * The worker's pass over every tenant: each due fiche is marked reminded and its mail written in one transaction (the
 * mail exists if and only if the mark does), so a second worker or the next tick finds nothing to do. Returns how many.
 */
export async function remindStaleFiches(db: DB, now: Date, batch = 200): Promise<number> {
  const today = reviewDay(now)
  let reminded = 0
  for (const due of await repo.fichesReviewDue(crossTenant(db), today, batch)) {
    const done = await withTenant(db, { tenantId: due.tenant_id }, async (trx) => {
      const f = await repo.markReviewReminded(trx, due.tenant_id, due.id, today, now)
      if (!f) return false
      // The mission TIC's own fiches go to the network admins; an organisation without an admin falls back to them too.
      const admins = f.organisation_kind === 'mission_tic' ? [] : await orgAdmins(trx, due.tenant_id, f.organisation_id)
      const recipients = admins.length ? admins : await networkAdmins(trx, due.tenant_id)
      await enqueueMail(trx, {
        tenantId: due.tenant_id, referralId: null, kind: 'fiche_review', recipients, now,
        payload: { ficheId: f.id, title: f.title, reviewBy: f.review_by, organisation: f.organisation_name },
      })
      return true
    })
    if (done) reminded++
  }
  return reminded
}
