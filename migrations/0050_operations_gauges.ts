import { sql, type Kysely } from 'kysely'

// What operators scrape (/metrics): the outbox backlog and its oldest mail, and the open referrals past their deadline,
// across tenants. A security definer function returns counts only (no row, no tenant data) to the app role, which RLS
// otherwise keeps inside one tenant. The partial index keeps the overdue count cheap however many referrals are closed.
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    create index referral_open_due on referral (due_at) where status in ('submitted', 'assigned') and sla_met_at is null;

    create function operations_gauges(p_now timestamptz)
      returns table (outbox_backlog bigint, outbox_oldest_seconds double precision, referrals_overdue bigint)
      language sql stable security definer set search_path = public as
      $$ select
           (select count(*) from outbox o where o.sent_at is null and o.failed_at is null and o.cancelled_at is null),
           (select coalesce(extract(epoch from p_now - min(o.next_attempt_at)), 0) from outbox o
              where o.sent_at is null and o.failed_at is null and o.cancelled_at is null and o.next_attempt_at <= p_now),
           (select count(*) from referral r where r.status in ('submitted', 'assigned') and r.sla_met_at is null and r.due_at < p_now) $$;

    revoke all on function operations_gauges(timestamptz) from public;
    grant execute on function operations_gauges(timestamptz) to relais_app;
  `).execute(db)
}
