import { sql, type Kysely } from 'kysely'

// Search with a theme chosen (the filing form always sends one) had a slow tail on 50,000 fiches (p95 69 ms against
// 21 ms without theme): the theme was a semi-join on fiche_theme, so the words' index brought every matching fiche
// (or the theme's every fiche) to be read and checked one by one. The fiche now carries its themes' ids, kept in step
// with fiche_theme by a trigger, and the word indexes become two-column GIN indexes (themes, words): one index scan
// finds the fiches of the theme that have the words, and serves searches without a theme as before (a GIN index
// answers a condition on any of its columns). The planner never combined two separate indexes here (no BitmapAnd).
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    alter table fiche add column theme_ids uuid[] not null default '{}';
    update fiche f set theme_ids = coalesce((select array_agg(ft.theme_id order by ft.theme_id) from fiche_theme ft where ft.fiche_id = f.id), '{}');
    create index fiche_theme_search on fiche using gin (theme_ids, search) where status = 'published';
    create index fiche_theme_title_search on fiche using gin (theme_ids, to_tsvector('relais_french', coalesce(published_title, ''))) where status = 'published';
    drop index fiche_search;
    drop index fiche_title_search;

    -- Runs as the writer (relais_app, under RLS): it only ever touches the fiche whose themes changed.
    create function fiche_theme_ids_sync() returns trigger language plpgsql as $$
    declare v_fiche uuid := coalesce(new.fiche_id, old.fiche_id);
    begin
      update fiche f set theme_ids = coalesce((select array_agg(ft.theme_id order by ft.theme_id) from fiche_theme ft where ft.fiche_id = v_fiche), '{}')
        where f.id = v_fiche;
      return null;
    end $$;
    create trigger fiche_theme_ids_sync after insert or delete on fiche_theme for each row execute function fiche_theme_ids_sync();

    create or replace function fiche_candidates(p_theme text, p_organisation uuid, p_insee text, p_epci text, p_limit integer,
        p_all tsquery, p_any tsquery, p_folded text)
      returns table (id uuid) language plpgsql stable security definer
      set search_path = public set enable_seqscan = off set enable_indexscan = off as $fn$
    declare
      v_theme uuid;
      v_found integer;
      v_more integer;
      v_where text := $w$f.tenant_id = app_tenant_id() and f.status = 'published'$w$;
    begin
      if p_theme is not null then
        select t.id into v_theme from theme t where t.tenant_id = app_tenant_id() and t.code = p_theme;
        if v_theme is null then return; end if;
        v_where := v_where || ' and f.theme_ids @> array[$1]';
      end if;
      if p_organisation is not null then v_where := v_where || ' and f.organisation_id = $2'; end if;
      if p_insee is not null then
        v_where := v_where || $w$ and (f.territory_kind = 'departement' or (f.territory_kind = 'commune' and $3 = any(f.territory_codes))
          or (f.territory_kind = 'epci' and $4 = any(f.territory_codes)))$w$;
      end if;
      if p_folded is not null then
        return query execute format($q$select f.id from fiche f where %1$s and $8 <%% relais_unaccent(lower(f.published_title)) limit $5$q$, v_where)
          using v_theme, p_organisation, p_insee, p_epci, p_limit, p_all, p_any, p_folded;
        return;
      end if;
      return query execute format($q$select f.id from fiche f
          where %1$s and to_tsvector('relais_french', coalesce(f.published_title, '')) @@ $6 limit $5$q$, v_where)
        using v_theme, p_organisation, p_insee, p_epci, p_limit, p_all, p_any, p_folded;
      get diagnostics v_found = row_count;
      if v_found < p_limit then
        return query execute format($q$select f.id from fiche f where %1$s and f.search @@ $6 limit $5$q$, v_where)
          using v_theme, p_organisation, p_insee, p_epci, p_limit, p_all, p_any, p_folded;
        get diagnostics v_more = row_count;
        v_found := v_found + v_more;
      end if;
      if v_found < p_limit then
        return query execute format($q$select f.id from fiche f where %1$s and f.search @@ $7 limit $5$q$, v_where)
          using v_theme, p_organisation, p_insee, p_epci, p_limit, p_all, p_any, p_folded;
      end if;
    end $fn$;
  `).execute(db)
}
