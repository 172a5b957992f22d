import { sql, type Kysely } from 'kysely'

// Retention of citizens' data (issue 18). Events written from now on are sealed with their free texts and addresses
// (body, to, reason, note) as keyed commitments in the hash (sealed = 'c1', see packages/referrals/src/timeline.ts), so
// those values can later be erased and the chain still verifies; events written before keep their plain hash (sealed
// null) and their texts. timeline_erase() is the one way to change an event: only a sealed one of the current tenant,
// only those fields, each replaced by {"erased": <its commitment>} (a wrong commitment breaks the chain, so it shows).
// retention_due() tells the worker which tenants have referrals past their retention (ids only).
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    alter table referral add column anonymised_at timestamptz;
    alter table referral_event add column sealed text check (sealed in ('c1'));
    create index referral_retention on referral (tenant_id, closed_at) where anonymised_at is null and closed_at is not null;

    create function timeline_erase(p_referral uuid, p_seq integer, p_fields text[], p_commitments text[])
      returns boolean language plpgsql security definer set search_path = public as $$
      declare done integer;
      begin
        if array_length(p_fields, 1) is null or array_length(p_fields, 1) <> array_length(p_commitments, 1)
           or not (p_fields <@ array['body', 'to', 'reason', 'note']) then
          raise exception 'timeline_erase: fields must be among body, to, reason, note, each with its commitment';
        end if;
        if exists (select 1 from unnest(p_commitments) c where c !~ '^[0-9a-f]{64}$') then
          raise exception 'timeline_erase: a commitment is 64 hexadecimal characters';
        end if;
        update referral_event e
           set data = e.data || (select jsonb_object_agg(f, jsonb_build_object('erased', c)) from unnest(p_fields, p_commitments) as x(f, c))
         where e.tenant_id = app_tenant_id() and e.referral_id = p_referral and e.seq = p_seq and e.sealed = 'c1';
        get diagnostics done = row_count;
        return done = 1;
      end $$;
    revoke all on function timeline_erase(uuid, integer, text[], text[]) from public;
    grant execute on function timeline_erase(uuid, integer, text[], text[]) to relais_app;

    create function retention_due(p_as_of timestamptz)
      returns table (tenant_id uuid)
      language sql stable security definer set search_path = public as
      $$ select t.id from tenant t left join citizen_privacy cp on cp.tenant_id = t.id
         where exists (select 1 from referral r where r.tenant_id = t.id and r.anonymised_at is null and r.closed_at is not null
                         and r.closed_at < p_as_of - make_interval(months => coalesce(cp.retention_months, 24))) $$;
    revoke all on function retention_due(timestamptz) from public;
    grant execute on function retention_due(timestamptz) to relais_app;
  `).execute(db)
}
