import { sql, type Kysely } from 'kysely'

// SLA statistics (issue 17): what the statistics need from a referral's timeline, kept on the referral itself by a
// trigger on the timeline, in the same transaction as the event, so the figures are exact the moment an answer, a
// transfer, an information request, an escalation or a reopening is committed. The statistics then read one index
// range of `referral` per request (a tenant's period), never the events: a quarter of a département is a few
// thousand rows, read in a few milliseconds, however long the history.
// - stats_transfers, stats_info_requests: how many « pas pour nous » transfers and information requests;
// - stats_escalation_level: the highest escalation level reached;
// - sla_met_by: how the SLA of the current clock cycle was met ('answered' in writing or 'appointment_proposed'),
//   the first of the cycle; a reopening starts a new cycle and clears it, as it clears sla_met_at.

/** Recomputes the columns from the timelines (the migration's backfill; the bench runs it after generating events). */
export const STATS_ROLLUP_BACKFILL = `
  update referral r set stats_transfers = e.transfers, stats_info_requests = e.info_requests,
    stats_escalation_level = e.escalation_level, sla_met_by = e.met_by
  from (
    select ev.referral_id,
      count(*) filter (where ev.kind = 'transferred')::int as transfers,
      count(*) filter (where ev.kind = 'info_requested')::int as info_requests,
      coalesce(max((ev.data->>'level')::int) filter (where ev.kind = 'escalated'), 0) as escalation_level,
      (array_agg(ev.kind order by ev.seq) filter (where ev.kind in ('answered', 'appointment_proposed') and ev.at >= coalesce(rr.reopened_at, '-infinity')))[1] as met_by
    from referral_event ev
    left join lateral (select max(x.at) as reopened_at from referral_event x where x.referral_id = ev.referral_id and x.kind = 'reopened') rr on true
    where ev.kind in ('transferred', 'info_requested', 'escalated', 'answered', 'appointment_proposed')
    group by ev.referral_id, rr.reopened_at
  ) e
  where r.id = e.referral_id`

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    alter table referral
      add column stats_transfers integer not null default 0,
      add column stats_info_requests integer not null default 0,
      add column stats_escalation_level integer not null default 0,
      add column sla_met_by text check (sla_met_by in ('answered', 'appointment_proposed'));

    -- Owned by the owner role: the application writes events, the trigger alone writes these columns.
    create function referral_stats_rollup() returns trigger language plpgsql security definer set search_path = public as $fn$
    begin
      if new.kind = 'transferred' then
        update referral set stats_transfers = stats_transfers + 1 where id = new.referral_id;
      elsif new.kind = 'info_requested' then
        update referral set stats_info_requests = stats_info_requests + 1 where id = new.referral_id;
      elsif new.kind = 'escalated' then
        update referral set stats_escalation_level = greatest(stats_escalation_level, coalesce((new.data->>'level')::int, 0)) where id = new.referral_id;
      elsif new.kind in ('answered', 'appointment_proposed') then
        update referral set sla_met_by = new.kind where id = new.referral_id and sla_met_by is null;
      elsif new.kind = 'reopened' then
        update referral set sla_met_by = null where id = new.referral_id;
      end if;
      return null;
    end $fn$;
    revoke all on function referral_stats_rollup() from public;
    create trigger referral_stats_rollup after insert on referral_event
      for each row when (new.kind in ('transferred', 'info_requested', 'escalated', 'answered', 'appointment_proposed', 'reopened'))
      execute function referral_stats_rollup();
  `).execute(db)
  await sql.raw(STATS_ROLLUP_BACKFILL).execute(db)
}
