import { sql, type Kysely } from 'kysely'

// Lists sort as French does (Bélâbre before Buzançais, Écueillé among the E, « Mairie d’Ardentes » among the A),
// not by byte: an ICU French collation that ignores punctuation at the first level (ka-shifted).
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`create collation if not exists fr_icu (provider = icu, locale = 'fr-u-ka-shifted')`).execute(db)
}
