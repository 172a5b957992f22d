import { sql, type Kysely } from 'kysely'

// Several workers used to read the same due work (outbox_due, sla_due are plain selects) and queue on each
// other's row locks. They now claim it: a batch of rows no other worker holds, locked with SKIP LOCKED and marked
// in the same statement, so a second worker takes the next rows instead of waiting or repeating.
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    alter table referral add column sla_claimed_until timestamptz;

    create function sla_claim(p_now timestamptz, p_claim_until timestamptz, p_limit integer)
      returns table (id uuid, tenant_id uuid, next_step text, next_step_at timestamptz)
      language sql volatile security definer set search_path = public as
      $$ with due as (
           select r.id from referral r
           where r.next_step_at is not null and r.next_step_at <= p_now and (r.sla_claimed_until is null or r.sla_claimed_until < p_now)
           order by r.next_step_at limit p_limit
           for update skip locked)
         update referral r set sla_claimed_until = p_claim_until from due where r.id = due.id
         returning r.id, r.tenant_id, r.next_step, r.next_step_at $$;

    -- Relaying marks the mail relayed when it is claimed; a hand-over that fails releases it (relayed_at null).
    create function outbox_claim(p_now timestamptz, p_relay_grace interval, p_limit integer)
      returns table (id bigint, tenant_id uuid, attempts integer)
      language sql volatile security definer set search_path = public as
      $$ with due as (
           select o.id from outbox o
           where o.sent_at is null and o.failed_at is null and o.next_attempt_at <= p_now
             and (o.relayed_at is null or (o.relayed_at < p_now - p_relay_grace and (o.claimed_until is null or o.claimed_until < p_now)))
           order by o.next_attempt_at limit p_limit
           for update skip locked)
         update outbox o set relayed_at = p_now from due where o.id = due.id
         returning o.id, o.tenant_id, o.attempts $$;

    revoke all on function sla_claim(timestamptz, timestamptz, integer) from public;
    revoke all on function outbox_claim(timestamptz, interval, integer) from public;
    grant execute on function sla_claim(timestamptz, timestamptz, integer) to relais_app;
    grant execute on function outbox_claim(timestamptz, interval, integer) to relais_app;
    -- Replaced by outbox_claim.
    drop function outbox_due(timestamptz, interval, integer);
  `).execute(db)
}
