import { sql, type Kysely } from 'kysely'

// The trigger of 0018 rewrote the fiche even when its themes came out the same (a fiche written with its theme_ids
// already set, or the same themes saved again): a dead row and new index entries each time. Now it writes only a change.
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    create or replace function fiche_theme_ids_sync() returns trigger language plpgsql as $$
    declare
      v_fiche uuid := coalesce(new.fiche_id, old.fiche_id);
      v_ids uuid[];
    begin
      select coalesce(array_agg(ft.theme_id order by ft.theme_id), '{}') into v_ids from fiche_theme ft where ft.fiche_id = v_fiche;
      update fiche f set theme_ids = v_ids where f.id = v_fiche and f.theme_ids is distinct from v_ids;
      return null;
    end $$;
  `).execute(db)
}
