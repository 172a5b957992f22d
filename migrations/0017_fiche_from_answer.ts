import { sql, type Kysely } from 'kysely'

// A fiche drafted from a referral's answer: its writers are warned to check it for personal data until it is published.
// Only the fact is kept, never which referral (a fiche is read by the whole network).
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`alter table fiche add column drafted_from_answer_at timestamptz`).execute(db)
}
