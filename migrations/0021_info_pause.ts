import { sql, type Kysely } from 'kysely'

// The information pause ends: the policy says after how many working days (from the request) the mairie is
// reminded, and after how many the holder is told and may close the referral « sans suite ».
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    alter table sla_policy
      add column info_reminder_days integer not null default 5 check (info_reminder_days between 1 and 60),
      add column info_close_days integer not null default 10 check (info_close_days between 2 and 120),
      add check (info_close_days > info_reminder_days);
  `).execute(db)
}
