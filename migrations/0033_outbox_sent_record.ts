import { sql, type Kysely } from 'kysely'

// A sent mail used to be recorded in its own transaction that locked the referral to append "mail_sent" to its
// timeline: two transactions per mail, the second waiting on whoever held the referral (50 mails/s at best). The send
// is now recorded on the outbox row alone (sent_at, and timeline_pending for a referral's mail), the marks of the
// mails a worker sent meanwhile in one statement; the worker then appends the "mail_sent" events in batches, a few
// statements for up to 500 mails, skipping (for the next pass) a referral someone holds at that moment.
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    -- false for every existing row: their events were appended when they were sent.
    alter table outbox add column timeline_pending boolean not null default false;
    create index outbox_timeline_pending on outbox (tenant_id, id) where timeline_pending;

    -- The worker's way to the tenants with sent mails not yet on their referral's timeline: tenant ids only.
    create function outbox_timeline_tenants(p_limit integer)
      returns table (tenant_id uuid)
      language sql stable security definer set search_path = public as
      $$ select distinct s.tenant_id from (select o.tenant_id from outbox o where o.timeline_pending order by o.id limit p_limit) s $$;
    revoke all on function outbox_timeline_tenants(integer) from public;
    grant execute on function outbox_timeline_tenants(integer) to relais_app;
  `).execute(db)
}
