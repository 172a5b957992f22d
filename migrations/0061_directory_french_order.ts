import { sql, type Kysely } from 'kysely'

// The directory's paged lists (organisations, people, themes: API and pages) sort as French does (issue 12), like the
// choices of 0041: by name in the ICU collation fr_icu, then id. Their keyset indexes follow, so a page is still
// « the rows after this key » read on an index, in the same order.
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    create index organisation_tenant_name_fr on organisation (tenant_id, (name collate fr_icu), id);
    create index person_tenant_name_fr on person (tenant_id, (name collate fr_icu), id);
    create index person_organisation_name_fr on person (organisation_id, (name collate fr_icu), id);
    create index theme_tenant_label_fr on theme (tenant_id, (label collate fr_icu), id);
  `).execute(db)
}
