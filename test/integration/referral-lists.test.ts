// Lists page in SQL and cut nothing: an old open referral behind hundreds of newer ones is still in the partner's inbox,
// the pages follow one another with « Suivantes », and every row is on exactly one page (API and pages alike).
import t from 'tap'
import pg from 'pg'
import { buildApp } from '@relais/api/app'
import { createTestEnv } from '../helpers/db.ts'
import { bearer, manualClock, sampleReferral } from '../helpers/journey.ts'
import { Visitor } from '../helpers/visitor.ts'

const env = await createTestEnv()
const clock = manualClock('2026-11-24T09:00:00Z')
const app = await buildApp(env.config, { logger: false, clock: clock.now })
const owner = new pg.Client({ connectionString: env.config.DATABASE_URL })
await owner.connect()

const secretary = await bearer(app, 'secretaire@ardentes.demo')
const referent = await bearer(app, 'referent@caf36.demo')
const tic = await bearer(app, 'tic@indre.demo')

// The old open one, filed a year ago and long overdue.
clock.set('2025-11-24T09:00:00Z')
const old = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: secretary, payload: { ...sampleReferral, citizen: { ...sampleReferral.citizen, name: 'Ancienne Ouverte' } } })
t.equal(old.statusCode, 201)
const oldId = old.json().id as string
clock.set('2026-11-24T09:00:00Z')

// 600 newer referrals of the same mairie and holder, answered or closed: more than the 500 the inbox used to read.
const tpl = (await owner.query('select * from referral where id = $1', [oldId])).rows[0]
await owner.query(`
  insert into referral (tenant_id, reference, mairie_organisation_id, filed_by_person_id, theme_id, commune_insee, question, citizen_name,
    citizen_preferred_channel, status, holder_organisation_id, holder_person_id, filed_at, clock_started_at, due_at, sla_met_at, closed_at)
  select $1, '36-2026-L' || lpad(g::text, 5, '0'), $2, $3, $4, $5, 'Question', 'Usager ' || g, 'email',
    case when g % 2 = 0 then 'closed' else 'answered' end, $6, $7,
    timestamptz '2026-11-01' + g * interval '1 minute', timestamptz '2026-11-01' + g * interval '1 minute', timestamptz '2026-11-04' + g * interval '1 minute',
    timestamptz '2026-11-02', case when g % 2 = 0 then timestamptz '2026-11-03' end
  from generate_series(1, 600) g`,
[tpl.tenant_id, tpl.mairie_organisation_id, tpl.filed_by_person_id, tpl.theme_id, tpl.commune_insee, tpl.holder_organisation_id, tpl.holder_person_id])

t.teardown(async () => { await owner.end(); await app.close(); await env.drop() })

async function everyPage(headers: Record<string, string>, query: string) {
  const ids: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const res: Awaited<ReturnType<typeof app.inject>> = await app.inject({ url: `/api/v1/referrals?${query}&limit=100${cursor ? `&cursor=${cursor}` : ''}`, headers })
    if (res.statusCode !== 200) throw new Error(res.body)
    ids.push(...res.json().items.map((i: { id: string }) => i.id))
    cursor = res.json().nextCursor
    pages++
  } while (cursor && pages < 100)
  return ids
}

t.test('API: every sort pages through every row once; the old open referral comes first in the inbox', async (t) => {
  const total = Number((await owner.query('select count(*) from referral where holder_organisation_id = $1', [tpl.holder_organisation_id])).rows[0].count)
  for (const sort of ['newest', 'inbox', 'follow_up']) {
    const ids = await everyPage(referent, `sort=${sort}`)
    t.equal(ids.length, total, `${sort}: as many rows as the holder has`)
    t.equal(new Set(ids).size, ids.length, `${sort}: none twice`)
    t.ok(ids.includes(oldId), `${sort}: the old open one is listed`)
  }
  const inbox = await everyPage(referent, 'sort=inbox&open=true')
  t.same(inbox, [oldId], 'only the open one among the running clocks')
  t.equal((await everyPage(referent, 'sort=inbox'))[0], oldId, 'running clocks come first')
  t.equal((await everyPage(secretary, 'sort=follow_up'))[0], oldId, 'the overdue one first for the mairie')
  const newest = await everyPage(tic, 'sort=newest')
  t.equal(newest[newest.length - 1], oldId, 'newest first: the old one last')
  const bad = await app.inject({ url: `/api/v1/referrals?sort=inbox&cursor=${Buffer.from(JSON.stringify([0, "1' or 1=1", oldId])).toString('base64url')}`, headers: referent })
  t.equal(bad.statusCode, 400, 'a forged cursor is refused')
  t.equal(bad.json().error.code, 'invalid_cursor')
})

t.test('pages: the partner inbox lists the old open referral; « Suivantes » reaches every referral', async (t) => {
  const ref = new Visitor(app)
  await ref.login('referent@caf36.demo')
  const inbox = await ref.get('/saisines')
  t.equal(inbox.statusCode, 200)
  t.match(inbox.body, /Ancienne Ouverte/, 'an old open referral is still in the inbox')
  t.notMatch(inbox.body, /Suivantes/, 'one page only: one open referral')
  const seen = new Set<string>()
  let url: string | null = '/saisines?vue=toutes'
  let pages = 0
  while (url && pages < 50) {
    const res = await ref.get(url)
    t.equal(res.statusCode, 200)
    for (const m of res.body.matchAll(/href="\/saisines\/([0-9a-f-]{36})"/g)) seen.add(m[1])
    const next: RegExpExecArray | null = /<a href="([^"]+)" rel="next">Suivantes<\/a>/.exec(res.body)
    url = next ? next[1].replaceAll('&#x3D;', '=').replaceAll('&amp;', '&') : null
    pages++
  }
  t.equal(seen.size, 601, 'every referral of the holder, page after page')
  t.equal(pages, Math.ceil(601 / 50))
  t.ok(seen.has(oldId))
  const sec = new Visitor(app)
  await sec.login('secretaire@ardentes.demo')
  const first = await sec.get('/saisines')
  t.ok(first.body.indexOf('Ancienne Ouverte') > 0 && first.body.indexOf('Ancienne Ouverte') < first.body.indexOf('Usager '), 'the mairie sees its overdue one first')
  t.match(first.body, /rel="next">Suivantes/)
})

t.test('the per-person open counter routing reads agrees with a count, through every move of a referral', async (t) => {
  const file = async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: secretary, payload: sampleReferral })
    t.equal(res.statusCode, 201)
    return res.json().id as string
  }
  const post = async (headers: Record<string, string>, id: string, path: string, payload: Record<string, unknown> = {}) => {
    const res = await app.inject({ method: 'POST', url: `/api/v1/referrals/${id}/${path}`, headers, payload })
    t.equal(res.statusCode, 200, `${path}: ${res.body.slice(0, 200)}`)
  }
  const [a, b, c, d] = [await file(), await file(), await file(), await file()]
  await post(referent, a, 'answer', { body: 'Voici la réponse.' })
  await post(secretary, a, 'close')
  await post(secretary, a, 'reopen', { body: 'Une autre question.' })
  await post(referent, b, 'request-info', { body: 'Quelle date ?' })
  await post(secretary, b, 'provide-info', { body: 'Le 3 mars.' })
  await post(referent, c, 'transfer', { toRouting: true, reason: 'Pas pour nous.' })
  await post(secretary, d, 'cancel', { body: 'Réglé au guichet.' })
  const { rows } = await owner.query(`
    select p.email, coalesce((select sum(open) from person_open_count n where n.person_id = p.id), 0)::int as counted,
      (select count(*) from referral r where r.holder_person_id = p.id and r.status in ('submitted', 'assigned', 'awaiting_info'))::int as actual
    from person p`)
  t.ok(rows.some((r) => r.actual > 1), 'someone holds several open referrals')
  t.same(rows.filter((r) => r.counted !== r.actual), [], 'every person: the counter equals the count')
})
