import { sql, type Kysely } from 'kysely'

// The worker's way to find appointments to remind (issue 14): like fiche_reviews_due, a definer function that hands
// it only ids of standing appointments coming soon and not yet reminded; the reminder is decided and written under RLS.
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    create index appointment_to_remind on appointment (starts_at) where status = 'booked' and reminded_at is null;

    create function appointment_reminders_due(p_now timestamptz, p_until timestamptz, p_limit integer)
      returns table (tenant_id uuid, id uuid)
      language sql stable security definer set search_path = public as
      $$ select a.tenant_id, a.id from appointment a
         where a.status = 'booked' and a.reminded_at is null and a.starts_at > p_now and a.starts_at <= p_until
         order by a.starts_at, a.id limit p_limit $$;
    revoke all on function appointment_reminders_due(timestamptz, timestamptz, integer) from public;
    grant execute on function appointment_reminders_due(timestamptz, timestamptz, integer) to relais_app;
  `).execute(db)
}
