import { sql, type Kysely } from 'kysely'

// The timeline's hash chain becomes an HMAC under a key the application holds and the database never sees
// (TIMELINE_HMAC_KEY): the owner role could otherwise rewrite an answer and recompute plain SHA-256 hashes.
// key_id names the key that sealed each event, so a rotated key still verifies the events it sealed; null marks
// events sealed before this migration (plain SHA-256).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table referral_event add column key_id text`.execute(db)
}
