import { sql, type Kysely } from 'kysely'

// The rights of access and erasure, and the retention's gap (issue 18).
// - A cancelled referral ages from its cancellation: `cancelled_at` (backfilled from the timeline's `cancelled` event),
//   and the retention's index and retention_due() read coalesce(closed_at, cancelled_at).
// - The mission TIC finds a person's referrals by address: an index on the folded address.
// - The audit log (migration 0040) also records changes of the privacy settings and the actions on a person's data
//   (find, export, erase). The checks are rebuilt from their current lists, so values added by others stay.
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    alter table referral add column cancelled_at timestamptz;
    update referral r set cancelled_at = (select max(e.at) from referral_event e where e.tenant_id = r.tenant_id and e.referral_id = r.id and e.kind = 'cancelled')
     where r.status = 'cancelled';
    update referral set cancelled_at = updated_at where status = 'cancelled' and cancelled_at is null;
    drop index if exists referral_retention;
    create index referral_retention on referral (tenant_id, (coalesce(closed_at, cancelled_at))) where anonymised_at is null and coalesce(closed_at, cancelled_at) is not null;
    create index referral_citizen_email on referral (tenant_id, lower(citizen_email)) where citizen_email is not null;

    create or replace function retention_due(p_as_of timestamptz)
      returns table (tenant_id uuid)
      language sql stable security definer set search_path = public as
      $$ select t.id from tenant t left join citizen_privacy cp on cp.tenant_id = t.id
         where exists (select 1 from referral r where r.tenant_id = t.id and r.anonymised_at is null and coalesce(r.closed_at, r.cancelled_at) is not null
                         and coalesce(r.closed_at, r.cancelled_at) < p_as_of - make_interval(months => coalesce(cp.retention_months, 24))) $$;
  `).execute(db)
  for (const [column, added] of [['entity', ['privacy_settings', 'privacy_subject']], ['action', ['find', 'export', 'erase']]] as const) {
    const { rows } = await sql<{ def: string }>`select pg_get_constraintdef(oid) as def from pg_constraint where conrelid = 'audit_log'::regclass and conname = ${`audit_log_${column}_check`}`.execute(db)
    const current = [...(rows[0]?.def ?? '').matchAll(/'([^']+)'::text/g)].map((m) => m[1])
    const values = [...new Set([...current, ...added])].map((v) => `'${v.replace(/'/g, "''")}'`).join(', ')
    await sql.raw(`alter table audit_log drop constraint if exists audit_log_${column}_check;
      alter table audit_log add constraint audit_log_${column}_check check (${column} in (${values}))`).execute(db)
  }
}
