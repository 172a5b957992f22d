import { sql, type Kysely } from 'kysely'

// sla_tenants_with_open() (0003) was never called: the SLA sweep reads sla_due(), which already spans every
// tenant. A definer function nobody calls is attack surface with no use, so it goes.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`drop function if exists sla_tenants_with_open()`.execute(db)
}
