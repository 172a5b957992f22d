import { sql, type Kysely } from 'kysely'

// A downloaded attachment (issue 15) shows a citizen's document: the access log records it as its own way of display.
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    alter table referral_access drop constraint referral_access_via_check;
    alter table referral_access add constraint referral_access_via_check check (via in ('page', 'api', 'print', 'export', 'download'));
  `).execute(db)
}
