import t from 'tap'
import pg from 'pg'
import { APP_DB_ROLE } from '@relais/config'
import { createTestEnv } from '../helpers/db.ts'

// Least privilege: what the application role may do is exactly what the code needs, read from the catalogue
// (not from the migrations), then the forbidden writes are tried as that role.

/** Table → what the code does with it (repositories in packages/db). Anything else is refused. */
const EXPECTED: Record<string, string[]> = {
  account_link: ['INSERT', 'SELECT', 'UPDATE'],
  appointment: ['INSERT', 'SELECT', 'UPDATE'],
  attachment: ['INSERT', 'SELECT', 'UPDATE (columns)'],
  audit_log: ['INSERT', 'SELECT'],
  chain_head_digest: ['INSERT', 'SELECT'],
  citizen_privacy: ['INSERT', 'SELECT', 'UPDATE'],
  commune: ['SELECT'],
  commune_former_code: ['SELECT'],
  convention_countersignature: ['INSERT', 'SELECT'],
  convention_signature: ['INSERT', 'SELECT'],
  convention_version: ['INSERT', 'SELECT'],
  coverage: ['INSERT', 'SELECT', 'UPDATE'],
  deflection: ['INSERT', 'SELECT'],
  inbound_mail: ['INSERT', 'SELECT', 'UPDATE (columns)'],
  fiche: ['INSERT', 'SELECT', 'UPDATE'],
  fiche_open_day: ['INSERT', 'SELECT', 'UPDATE'],
  fiche_theme: ['DELETE', 'INSERT', 'SELECT'],
  fiche_version: ['INSERT', 'SELECT'],
  fiche_word: ['INSERT', 'SELECT'],
  organisation: ['INSERT', 'SELECT', 'UPDATE'],
  outbox: ['INSERT', 'SELECT', 'UPDATE'],
  person: ['INSERT', 'SELECT', 'UPDATE'],
  permanence: ['INSERT', 'SELECT', 'UPDATE'],
  person_open_count: ['SELECT'],
  place: ['INSERT', 'SELECT', 'UPDATE'],
  referral: ['INSERT', 'SELECT', 'UPDATE'],
  referral_event: ['INSERT', 'SELECT'],
  referral_access: ['INSERT', 'SELECT'],
  refresh_session: ['INSERT', 'SELECT', 'UPDATE'],
  routing_rule: ['INSERT', 'SELECT', 'UPDATE'],
  search_miss: ['INSERT', 'SELECT'],
  sla_policy: ['INSERT', 'SELECT', 'UPDATE'],
  sla_recompute: ['INSERT', 'SELECT', 'UPDATE'],
  tenant: ['SELECT'],
  theme: ['INSERT', 'SELECT', 'UPDATE'],
}
/** Definer functions (the only ways across tenants; fiche_candidates stays in the current one) and the helper the policies call. */
const EXPECTED_FUNCTIONS = ['app_tenant_id', 'appointment_reminders_due', 'auth_candidates', 'auth_principal', 'chain_heads_due', 'fiche_candidates', 'fiche_reviews_due', 'operations_gauges', 'outbox_claim', 'outbox_timeline_tenants', 'referral_search', 'reply_outbox_tenant', 'retention_due', 'sla_claim', 'sla_due', 'sla_recompute_pending', 'timeline_erase', 'tracking_candidate']

const env = await createTestEnv()
const owner = new pg.Client({ connectionString: env.config.DATABASE_URL })
const app = new pg.Client({ connectionString: env.config.APP_DATABASE_URL })
await owner.connect()
await app.connect()
t.teardown(async () => { await app.end(); await owner.end(); await env.drop() })

t.test('the application role holds exactly the expected privileges', async (t) => {
  const tables = (await owner.query<{ relname: string }>(`select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm') and c.relname not like 'kysely_%' order by 1`)).rows.map((r) => r.relname)
  const held: Record<string, string[]> = {}
  for (const table of tables) {
    const privs = []
    for (const p of ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) {
      const { rows } = await owner.query<{ ok: boolean }>('select has_table_privilege($1, $2, $3) as ok', [APP_DB_ROLE, `public.${table}`, p])
      if (rows[0].ok) privs.push(p)
    }
    // Column grants count too: a role with no table privilege may still update one column.
    const cols = await owner.query<{ privilege_type: string }>(`select distinct privilege_type from information_schema.column_privileges
      where grantee = $1 and table_schema = 'public' and table_name = $2`, [APP_DB_ROLE, table])
    for (const c of cols.rows) if (!privs.includes(c.privilege_type)) privs.push(`${c.privilege_type} (columns)`)
    if (privs.length) held[table] = privs.sort()
  }
  t.same(held, EXPECTED, 'table privileges of relais_app')

  const kysely = (await owner.query<{ relname: string }>(`select relname from pg_class where relname like 'kysely_%' and has_table_privilege($1, oid, 'SELECT,INSERT,UPDATE,DELETE')`, [APP_DB_ROLE])).rows
  t.same(kysely, [], 'nothing on the migration bookkeeping')

  const fns = (await owner.query<{ proname: string }>(`select distinct p.proname from information_schema.routine_privileges rp
    join pg_proc p on p.proname = rp.routine_name where rp.grantee = $1 and rp.routine_schema = 'public' order by 1`, [APP_DB_ROLE])).rows.map((r) => r.proname)
  t.same(fns, EXPECTED_FUNCTIONS, 'functions granted to relais_app by name')

  const schema = (await owner.query<{ create: boolean }>(`select has_schema_privilege($1, 'public', 'CREATE') as create`, [APP_DB_ROLE])).rows[0]
  t.equal(schema.create, false, 'cannot create objects in the schema')
})

t.test('the forbidden writes fail as the application role', async (t) => {
  const tenant = (await owner.query<{ id: string }>(`select id from tenant where code = '36'`)).rows[0].id
  const attempts: [string, string][] = [
    ['rename its tenant', `update tenant set name = 'Piraté' where id = '${tenant}'`],
    ['create a tenant', `insert into tenant (code, name) values ('99', 'Faux')`],
    ['delete its tenant', `delete from tenant where id = '${tenant}'`],
    ['delete a referral', 'delete from referral'],
    ['delete a person', 'delete from person'],
    ['delete an organisation', 'delete from organisation'],
    ['delete mails from the outbox', 'delete from outbox'],
    ['rewrite the timeline', `update referral_event set data = '{}'`],
    ['delete the timeline', 'delete from referral_event'],
    ['rewrite a fiche version', `update fiche_version set body = 'x'`],
    ['empty a table', 'truncate refresh_session'],
    ['write communes', `update commune set name = 'x'`],
    ['create a table', 'create table intrus (id int)'],
  ]
  for (const [what, statement] of attempts) {
    await app.query('begin')
    await app.query(`select set_config('app.tenant_id', $1, true)`, [tenant])
    await t.rejects(app.query(statement), { code: '42501' }, `refused: ${what}`)
    await app.query('rollback')
  }
  t.equal((await owner.query(`select name from tenant where id = $1`, [tenant])).rows[0].name.includes('Piraté'), false)
})
