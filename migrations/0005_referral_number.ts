import { sql, type Kysely } from 'kysely'

// Referral numbers come from a sequence, not from a per-tenant counter row: that row was locked from the
// numbering until the commit's flush, so a département's filings went one at a time (about 100 per second
// measured). A sequence never blocks; numbers stay unique within a tenant and a year, with gaps.
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    create sequence referral_number_seq;
    grant usage on sequence referral_number_seq to relais_app;
    select setval('referral_number_seq', greatest(1, (select coalesce(max(last_value), 0) + 1 from referral_sequence)), false);
    drop table referral_sequence;
  `).execute(db)
}
