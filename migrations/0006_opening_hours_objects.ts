import { sql, type Kysely } from 'kysely'

// Opening hours have one format: { "mon": [{ "opens": "08:30", "closes": "12:00" }, …] } (see
// packages/core/src/opening-hours.ts). Organisations stored [["08:30", "12:00"], …], a tuple that the API
// description (OpenAPI 3.0) cannot state; they are rewritten in place. sla_policy keeps the calendar's minutes.
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    update organisation o set opening_hours = (
      select coalesce(jsonb_object_agg(d.day, (
        select coalesce(jsonb_agg(jsonb_build_object('opens', w->>0, 'closes', w->>1) order by n), '[]'::jsonb)
        from jsonb_array_elements(d.windows) with ordinality as x(w, n))), '{}'::jsonb)
      from jsonb_each(o.opening_hours) as d(day, windows))
    where jsonb_typeof(o.opening_hours) = 'object';
  `).execute(db)
}
