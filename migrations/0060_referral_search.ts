import { sql, type Kysely } from 'kysely'

// Search in the referral lists (issue 12, « Finding things »): by reference, citizen name, words of the question,
// organisation (holder or mairie) or commune, accents and case ignored.
// - The referral's own words are one folded expression (relais_unaccent(lower(…)), 0007) under a trigram GIN index, so
//   « %chateauroux% » is an index scan whatever the size of the list.
// - Under row-level security PostgreSQL uses no index for LIKE (not leakproof; see 0014): referral_search() hands the
//   application the ids of the current tenant's matching referrals through the indexes, ids only. The list then reads,
//   scopes, sorts and pages them under row-level security like any list, so nothing is cut.
// - Organisation and commune names match through their own tables (small, or indexed): a renamed organisation is found
//   by its new name, with no copy to keep in step.
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    create index referral_search_trgm on referral
      using gin (relais_unaccent(lower(reference || ' ' || citizen_name || ' ' || question)) gin_trgm_ops);
    create index referral_commune on referral (tenant_id, commune_insee);
    create index commune_name_trgm on commune using gin (relais_unaccent(lower(name)) gin_trgm_ops);

    -- Ids of the current tenant's referrals that have every word (accents and case ignored) in their reference, citizen name or question, or in the name of their holder, mairie or commune.
    create function referral_search(p_words text[])
      returns table (id uuid) language plpgsql stable security definer set search_path = public as $fn$
    declare
      v_tenant uuid := app_tenant_id();
      v_ids uuid[];
      v_set uuid[];
      v_word text;
      v_like text;
    begin
      if v_tenant is null or p_words is null or cardinality(p_words) = 0 then return; end if;
      foreach v_word in array p_words loop
        v_like := '%' || replace(replace(replace(relais_unaccent(lower(v_word)), '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%';
        -- Dynamic SQL: each word is planned with its own pattern (a rare word through the trigrams, a common one too).
        execute $q$
          select coalesce(array_agg(distinct x.id), '{}') from (
            select r.id from referral r where r.tenant_id = $1
              and relais_unaccent(lower(r.reference || ' ' || r.citizen_name || ' ' || r.question)) like $2
            union all
            select r.id from referral r where r.tenant_id = $1 and r.holder_organisation_id in
              (select o.id from organisation o where o.tenant_id = $1 and relais_unaccent(lower(o.name)) like $2)
            union all
            select r.id from referral r where r.tenant_id = $1 and r.mairie_organisation_id in
              (select o.id from organisation o where o.tenant_id = $1 and relais_unaccent(lower(o.name)) like $2)
            union all
            select r.id from referral r where r.tenant_id = $1 and r.commune_insee in
              (select c.insee from commune c where relais_unaccent(lower(c.name)) like $2)
          ) x$q$ into v_set using v_tenant, v_like;
        v_ids := case when v_ids is null then v_set else array(select unnest(v_ids) intersect select unnest(v_set)) end;
        exit when cardinality(v_ids) = 0;
      end loop;
      return query select unnest(v_ids);
    end $fn$;

    revoke all on function referral_search(text[]) from public;
    grant execute on function referral_search(text[]) to relais_app;
  `).execute(db)
}
