import { sql, type Kysely } from 'kysely'

// Mails are bounded and pinned: a mail whose retries ran past MAIL_RETRY_HOURS is failed (the mission TIC can
// send it again: resent_at starts a new window); a reminder whose step is no longer due is cancelled, not sent;
// a sender's retry or failure only lands while it still holds its claim (claim_id).
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    alter table outbox add column claim_id uuid, add column cancelled_at timestamptz, add column resent_at timestamptz;

    create or replace function outbox_claim(p_now timestamptz, p_relay_grace interval, p_limit integer)
      returns table (id bigint, tenant_id uuid, attempts integer)
      language sql volatile security definer set search_path = public as
      $$ with due as (
           select o.id from outbox o
           where o.sent_at is null and o.failed_at is null and o.cancelled_at is null and o.next_attempt_at <= p_now
             and (o.relayed_at is null or (o.relayed_at < p_now - p_relay_grace and (o.claimed_until is null or o.claimed_until < p_now)))
           order by o.next_attempt_at limit p_limit
           for update skip locked)
         update outbox o set relayed_at = p_now from due where o.id = due.id
         returning o.id, o.tenant_id, o.attempts $$;
  `).execute(db)
}
