import { sql, type Kysely } from 'kysely'

// Search over a large base. Two findings of the 50,000-fiche benchmark (npm run bench):
// - Under row-level security PostgreSQL uses no index for an operator that is not leakproof, and neither the
//   full-text match (@@) nor the trigram one (<%) is: every search read every fiche of the table.
// - Ranking reads each fiche's whole vector, so ranking every match of a common word ("demande") costs a scan.
// fiche_candidates() hands the application the ids of at most p_limit fiches per way of matching, found through
// the indexes. It sees only the current tenant (app_tenant_id(), as the policies do) and returns ids only: the
// application then reads, ranks and quotes those fiches under row-level security.
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    -- The first set of candidates: fiches whose published title has every typed word.
    create index fiche_title_search on fiche using gin (to_tsvector('relais_french', coalesce(published_title, ''))) where status = 'published';

    -- Published fiches of the current tenant, for this theme (code), organisation and commune (with its EPCI: a
    -- fiche for another territory is left out), each ignored when null. With p_folded: titles that look like it
    -- (trigrams, for typos); without: fiches whose title has every word of p_all, then those whose text has every
    -- word, then those with any word of p_any, as long as fewer than p_limit were found. Dynamic SQL, so each search is planned with its own words and filters. The
    -- planner prices a match test as cheap while it reads a fiche's whole vector: only the indexes (bitmap scans)
    -- keep the cost bounded, hence no sequential or plain index scan here.
    create function fiche_candidates(p_theme text, p_organisation uuid, p_insee text, p_epci text, p_limit integer,
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
        v_where := v_where || ' and f.id in (select ft.fiche_id from fiche_theme ft where ft.theme_id = $1)';
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
      -- The next way is tried only while the previous ones found fewer than p_limit (an id may come twice).
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

    revoke all on function fiche_candidates(text, uuid, text, text, integer, tsquery, tsquery, text) from public;
    grant execute on function fiche_candidates(text, uuid, text, text, integer, tsquery, tsquery, text) to relais_app;
  `).execute(db)
}
