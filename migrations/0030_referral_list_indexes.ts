import { sql, type Kysely } from 'kysely'

// Every referral list pages in SQL on an index (keyset), whatever its size (issue 11, « Size »):
// - newest first (the API, a mairie's follow-up, « Toutes »): (scope, filed_at, id), scanned backwards;
// - what is still to handle, soonest deadline first (a partner's inbox, the mission TIC's view, a mairie's overdue
//   ones): (scope, coalesce(due_at, 'infinity'), id) over the running clocks only, a small part of the table.
// A page is « the rows after this key » (a row comparison the index answers), never an offset.
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    create index referral_tenant_filed on referral (tenant_id, filed_at, id);
    create index referral_holder_filed on referral (tenant_id, holder_organisation_id, filed_at, id);
    create index referral_mairie_filed on referral (tenant_id, mairie_organisation_id, filed_at, id);
    drop index referral_mairie;
    create index referral_tenant_open_due on referral (tenant_id, (coalesce(due_at, 'infinity'::timestamptz)), id)
      where status in ('submitted', 'assigned', 'awaiting_info');
    create index referral_holder_open_due on referral (tenant_id, holder_organisation_id, (coalesce(due_at, 'infinity'::timestamptz)), id)
      where status in ('submitted', 'assigned', 'awaiting_info');
    create index referral_mairie_open_due on referral (tenant_id, mairie_organisation_id, (coalesce(due_at, 'infinity'::timestamptz)), id)
      where status in ('submitted', 'assigned', 'awaiting_info');
  `).execute(db)
}
