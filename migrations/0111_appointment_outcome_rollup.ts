import { sql, type Kysely } from 'kysely'

// SLA statistics (issue 17): the appointments' outcomes, kept on their referral like the timeline's figures of
// migration 0110, so the no-show rate is read from the same index range of `referral` as every other figure and counts
// with its referral (the period it was filed in, its organisation, theme, commune, mairie). A trigger on `appointment`
// recounts its referral's outcomes in the transaction that records or changes one: exact the moment it commits.
// - stats_appointments_held, stats_no_shows, stats_citizen_cancellations: appointments of the referral whose recorded
//   outcome is held, no-show, or cancelled by the citizen.

export const APPOINTMENT_OUTCOME_BACKFILL = `
  update referral r set stats_appointments_held = a.held, stats_no_shows = a.no_shows, stats_citizen_cancellations = a.citizen_cancelled
  from (
    select referral_id,
      count(*) filter (where status = 'held')::int as held,
      count(*) filter (where status = 'no_show')::int as no_shows,
      count(*) filter (where status = 'citizen_cancelled')::int as citizen_cancelled
    from appointment group by referral_id
  ) a
  where r.id = a.referral_id`

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    alter table referral
      add column stats_appointments_held integer not null default 0,
      add column stats_no_shows integer not null default 0,
      add column stats_citizen_cancellations integer not null default 0;

    -- Owned by the owner role: the application records outcomes, the trigger alone writes these columns.
    create function appointment_outcome_rollup() returns trigger language plpgsql security definer set search_path = public as $fn$
    begin
      if tg_op = 'UPDATE' and new.status is not distinct from old.status then return null; end if;
      update referral r set
        stats_appointments_held = (select count(*) from appointment a where a.referral_id = new.referral_id and a.status = 'held'),
        stats_no_shows = (select count(*) from appointment a where a.referral_id = new.referral_id and a.status = 'no_show'),
        stats_citizen_cancellations = (select count(*) from appointment a where a.referral_id = new.referral_id and a.status = 'citizen_cancelled')
      where r.id = new.referral_id;
      return null;
    end $fn$;
    revoke all on function appointment_outcome_rollup() from public;
    create trigger appointment_outcome_rollup after insert or update of status on appointment
      for each row execute function appointment_outcome_rollup();
  `).execute(db)
  await sql.raw(APPOINTMENT_OUTCOME_BACKFILL).execute(db)
}
