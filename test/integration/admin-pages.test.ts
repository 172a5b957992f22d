// Administration in the pages (issue 12): an organisation admin manages her people; the mission TIC imports routing
// rules from a CSV (one bad line: refused with its number and reason, nothing applied) and edits the SLA policy.
import t from 'tap'
import { startApp } from '../helpers/network.ts'
import { Visitor } from '../helpers/visitor.ts'
import { accountLinkKey, accountLinkToken } from '@relais/db/credentials'

const { app, db, env } = await startApp()

const fieldError = (html: string, id: string) => new RegExp(`<p class="field-error" id="${id}-erreur"><span class="visually-hidden">Erreur : </span>([^<]*)</p>`).exec(html)?.[1]

t.test('an organisation admin invites a person, changes her role, sets an absence and a backup, deactivates', async (t) => {
  const admin = new Visitor(app)
  await admin.login('admin@caf36.demo')
  const page = await admin.get('/organisation/personnes')
  t.match(page.body, /Inviter une personne/)
  const empty = await admin.post('/organisation/personnes', { name: '', email: 'pas-une-adresse', role: 'referent' })
  t.equal(empty.statusCode, 400)
  t.ok(fieldError(empty.body, 'nouveau-nom') && fieldError(empty.body, 'nouveau-courriel'), 'every field at once')
  t.match(empty.body, /id="erreurs-ajout"/)
  const added = await admin.post('/organisation/personnes', { name: 'Léa Morel', email: 'lea.morel@caf36.demo', role: 'referent' })
  t.equal(added.statusCode, 303)
  const list = await admin.get(String(added.headers.location))
  t.match(list.body, /L’invitation est envoyée/)
  const id = /href="\/organisation\/personnes\/([0-9a-f-]{36})">Léa Morel/.exec(list.body)![1]
  // Her mail's link (this file has no mail server): the link the worker would write, from the stored link's id.
  const { rows: [link] } = await db.query(`select id, tenant_id from account_link where person_id = $1 and kind = 'invitation'`, [id])
  const token = accountLinkToken(accountLinkKey(env.config.JWT_SECRET), link.tenant_id, link.id)
  const lea = new Visitor(app)
  await lea.get(`/compte/invitation?jeton=${token}`)
  t.equal((await lea.post('/compte/invitation', { jeton: token, password: 'Caf36-Choisi-2026!', confirm: 'Caf36-Choisi-2026!' })).statusCode, 303, 'she chooses her password')
  t.equal((await lea.login('lea.morel@caf36.demo', 'Caf36-Choisi-2026!')).statusCode, 303, 'she can log in')

  t.equal((await admin.post(`/organisation/personnes/${id}/role`, { role: 'org_admin' })).statusCode, 303)
  const karim = /<option value="([0-9a-f-]{36})">Karim Haddad/.exec((await admin.get(`/organisation/personnes/${id}`)).body)![1]
  const backwards = await admin.post(`/organisation/personnes/${id}/absence`, { absentFrom: '2026-12-10', absentUntil: '2026-12-01', backupPersonId: karim })
  t.equal(backwards.statusCode, 400)
  t.ok(fieldError(backwards.body, 'absence-fin'), 'an absence ending before it starts is refused')
  const absent = await admin.post(`/organisation/personnes/${id}/absence`, { absentFrom: '2026-12-01', absentUntil: '2026-12-10', backupPersonId: karim })
  t.equal(absent.statusCode, 303)
  const { rows: [row] } = await db.query('select role, absent_from, absent_until, backup_person_id from person where id = $1', [id])
  t.equal(row.role, 'org_admin')
  t.equal(row.absent_from.toISOString(), '2026-11-30T23:00:00.000Z', 'from 1 December 00:00 in Paris')
  t.equal(row.absent_until.toISOString(), '2026-12-10T23:00:00.000Z', 'the 10th included')
  t.equal(row.backup_person_id, karim)
  const shown = (await admin.get(`/organisation/personnes/${id}`)).body
  t.match(shown, /value="2026-12-01"/)
  t.match(shown, /value="2026-12-10"/)

  const unconfirmed = await admin.post(`/organisation/personnes/${id}/desactiver`, {})
  t.equal(unconfirmed.statusCode, 400)
  t.ok(fieldError(unconfirmed.body, 'desactiver-confirmer'))
  t.equal((await admin.post(`/organisation/personnes/${id}/desactiver`, { confirm: '1' })).statusCode, 303)
  t.equal((await lea.get('/saisines')).statusCode, 303, 'her session ended')

  const other = new Visitor(app)
  await other.login('admin@caf36.demo')
  const ddt = (await db.query(`select id from person where email = 'referent@ddt36.demo'`)).rows[0].id
  t.equal((await other.get(`/organisation/personnes/${ddt}`)).statusCode, 404, 'another organisation’s person is not hers')
  t.equal((await other.post(`/organisation/personnes/${ddt}/desactiver`, { confirm: '1' })).statusCode, 404, 'nor can she act on her')
  t.ok((await db.query('select active from person where id = $1', [ddt])).rows[0].active)
})

t.test('the mission TIC imports routing rules: one bad line refuses the file, then a good file applies', async (t) => {
  const tic = new Visitor(app)
  await tic.login('tic@indre.demo')
  const page = await tic.get('/annuaire/regles')
  t.match(page.body, /<th scope="row">Urbanisme/, 'theme names, not codes')
  const exported = await tic.get('/annuaire/regles.csv')
  t.equal(exported.statusCode, 200)
  t.match(exported.headers['content-type'], /text\/csv/)
  const before = (await db.query('select count(*)::int as n from routing_rule where active')).rows[0].n
  const lines = exported.body.replace(/^\uFEFF/, '').trim().split(/\r?\n/)
  const bad = [...lines, 'logement-social;commune;99999;OPAC de l’Indre;', 'theme-inconnu;departement;36;CAF de l’Indre;'].join('\n')
  const refused = await tic.post('/annuaire/regles/import', { csv: bad })
  t.equal(refused.statusCode, 400)
  t.match(refused.body, new RegExp(`Ligne ${lines.length + 1} \\(colonne « territory_code »\\) : `), 'the bad line by its number and column')
  t.match(refused.body, new RegExp(`Ligne ${lines.length + 2} \\(colonne « theme_code »\\) : `))
  t.match(refused.body, /rien n’a été importé/)
  t.equal((await db.query('select count(*)::int as n from routing_rule where active')).rows[0].n, before, 'nothing applied')
  const good = [...lines, 'logement-social;commune;36005;OPAC de l’Indre;'].join('\n')
  const ok = await tic.post('/annuaire/regles/import', { csv: good })
  t.equal(ok.statusCode, 303)
  t.match((await tic.get(String(ok.headers.location))).body, /Import terminé : 1 règle\(s\) créée\(s\)/)
  t.equal((await db.query('select count(*)::int as n from routing_rule where active')).rows[0].n, before + 1)
})

t.test('the mission TIC edits the SLA policy and gives a theme its own deadline', async (t) => {
  const tic = new Visitor(app)
  await tic.login('tic@indre.demo')
  const page = await tic.get('/annuaire/delais')
  t.match(page.body, /Modifier la politique/)
  const wrong = await tic.post('/annuaire/delais', { responseHours: 'trois', clockMode: 'business_hours', reminderHours: '100', esc0: '24' })
  t.equal(wrong.statusCode, 400)
  t.ok(fieldError(wrong.body, 'delai-reponse'))
  t.ok(fieldError(wrong.body, 'escalade-1'), 'an escalation with nobody to tell')
  const reminderAfter = await tic.post('/annuaire/delais', { responseHours: '48', clockMode: 'business_hours', reminderHours: '60' })
  t.equal(reminderAfter.statusCode, 400)
  t.equal(fieldError(reminderAfter.body, 'delai-relance'), 'La relance doit précéder l’échéance.')
  const saved = await tic.post('/annuaire/delais', { responseHours: '48', clockMode: 'calendar', reminderHours: '12', esc0: '24', esc0_mission_tic: '1' })
  t.equal(saved.statusCode, 303)
  const after = (await tic.get(String(saved.headers.location))).body
  t.match(after, /La politique de délai est enregistrée/)
  t.match(after, /<dd>48 h \(heures calendaires\)<\/dd>/)
  t.notMatch(after, /Heures d’ouverture comptées/, 'opening hours only where they count')
  const theme = await tic.post('/annuaire/delais/theme', { themeCode: 'urbanisme', themeHours: '120' })
  t.equal(theme.statusCode, 303)
  t.match((await tic.get('/annuaire/delais')).body, /<th scope="row">Urbanisme et permis de construire<\/th><td>120 h<\/td><td>heures calendaires<\/td><td>oui<\/td>/)
  const secretary = new Visitor(app)
  await secretary.login('secretaire@ardentes.demo')
  t.equal((await secretary.post('/annuaire/delais', { responseHours: '1', clockMode: 'calendar' })).statusCode, 403)
})

t.test('the information pause’s delays are set in the policy form, checked, kept and on the audit log', async (t) => {
  const tic = new Visitor(app)
  await tic.login('tic@indre.demo')
  const page = (await tic.get('/annuaire/delais')).body
  t.match(page, /<label for="complement-relance">Relancer la mairie après \(jours ouvrés\)<\/label>/, 'the form shows the reminder delay')
  t.match(page, /id="complement-cloture" name="infoCloseDays" value="10"/, 'and the « sans suite » delay, with its current value')
  const base = { responseHours: '72', clockMode: 'business_hours', reminderHours: '12' }
  const wrong = await tic.post('/annuaire/delais', { ...base, infoReminderDays: 'cinq', infoCloseDays: '0' })
  t.equal(wrong.statusCode, 400)
  t.equal(fieldError(wrong.body, 'complement-relance'), 'Indiquez un nombre de jours ouvrés entre 1 et 60 (5 par défaut).')
  t.equal(fieldError(wrong.body, 'complement-cloture'), 'Indiquez un nombre de jours ouvrés entre 2 et 120 (10 par défaut).', 'both fields at once')
  t.match(wrong.body, /<a href="#complement-relance">Relancer la mairie après : /, 'the summary names the field')
  const order = await tic.post('/annuaire/delais', { ...base, infoReminderDays: '8', infoCloseDays: '6' })
  t.equal(order.statusCode, 400)
  t.equal(fieldError(order.body, 'complement-cloture'), 'La clôture sans suite doit venir après la relance de la mairie.')
  const saved = await tic.post('/annuaire/delais', { ...base, infoReminderDays: '3', infoCloseDays: '7' })
  t.equal(saved.statusCode, 303)
  const after = (await tic.get('/annuaire/delais')).body
  t.match(after, /la mairie est relancée après 3 jours ouvrés ; après 7 jours ouvrés/, 'the policy says the new delays')
  const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'tic@indre.demo', password: 'relais-demo' }, remoteAddress: '10.98.0.1' })
  const api = await app.inject({ url: '/api/v1/sla-policy', headers: { authorization: `Bearer ${login.json().accessToken}` } })
  t.match(api.json(), { infoReminderDays: 3, infoCloseDays: 7 }, 'the API reads them')
  const kept = await tic.post('/annuaire/delais', base)
  t.equal(kept.statusCode, 303, 'a form without the fields keeps them')
  t.match((await tic.get('/annuaire/delais')).body, /relancée après 3 jours ouvrés ; après 7 jours ouvrés/)
  const journal = (await tic.get('/journal')).body
  t.match(journal, /relance de la mairie après \(jours ouvrés\)/, 'the change is on the audit log in words')
})

t.test('every change is on the audit log the mission TIC reads: who, when, before → after; nobody rewrites it', async (t) => {
  const tic = new Visitor(app)
  await tic.login('tic@indre.demo')
  const page = await tic.get('/journal')
  t.equal(page.statusCode, 200)
  const body = page.body
  t.match(body, /<strong>Personne — création<\/strong> : Léa Morel/)
  t.match(body, /Philippe Moreau \(CAF de l’Indre\)/, 'who')
  t.match(body, /rôle : Référent → Administration de l’organisme/, 'before → after in words')
  t.match(body, /<strong>Personne — désactivation<\/strong> : Léa Morel/)
  t.match(body, /actif : oui → non/)
  t.match(body, /<strong>Règle de routage — import<\/strong> : Import CSV : 1 créée\(s\)/)
  t.match(body, /règles créées : logement-social — commune 36005 → OPAC de l’Indre/)
  t.match(body, /<strong>Politique de délai — modification<\/strong> : Politique de délai du département/)
  t.match(body, /délai de réponse : \d+ h → 48 h/)
  t.match(body, /décompte : [^<→]+ → heures calendaires/)
  t.match(body, /escalades : [^<]* → après 24 h : mission TIC/, 'escalations in words')
  t.notMatch(body, /&quot;/, 'no raw JSON')
  t.notMatch(body, /password_hash|\$argon2/, 'never a password')
  t.match((await tic.get('/journal?objet=sla_policy')).body, /Délai du thème urbanisme/)

  const orgAdmin = new Visitor(app)
  await orgAdmin.login('admin@caf36.demo')
  t.equal((await orgAdmin.get('/journal')).statusCode, 403, 'the mission TIC’s only')
  const api = await app.inject({ method: 'PUT', url: '/api/v1/sla-policy', headers: { authorization: `Bearer ${tic.cookies.relais_session}` }, payload: { responseMinutes: 4320, clockMode: 'business_hours', reminderBeforeMinutes: 1440, escalations: [] } })
  t.equal(api.statusCode, 200)
  t.match((await tic.get('/journal')).body, /délai de réponse : 48 h → 72 h/, 'changes through the API too')
  await t.rejects(db.query('update audit_log set label = $1', ['effacé']), /ajout seul/, 'append-only, even for the owner')
  await t.rejects(db.query('delete from audit_log'), /ajout seul/)
})

t.test('the mission TIC creates and edits organisations, themes and coverage in the pages', async (t) => {
  const tic = new Visitor(app)
  await tic.login('tic@indre.demo')
  t.match((await tic.get('/annuaire/organisations')).body, /Ajouter une organisation/)
  const wrong = await tic.post('/annuaire/organisations', { name: '', kind: 'mairie', commune: '', email: 'pas-une-adresse' })
  t.equal(wrong.statusCode, 400)
  t.equal(fieldError(wrong.body, 'org-nom'), 'Saisissez le nom de l’organisation.', 'every error at once: the name')
  t.equal(fieldError(wrong.body, 'org-commune'), 'Indiquez la commune de la mairie.', 'the commune of a mairie')
  t.match(fieldError(wrong.body, 'org-courriel') ?? '', /adresse électronique valide/, 'the address')
  t.match(wrong.body, /id="erreurs-creation"/, 'the summary sits in the form')

  const created = await tic.post('/annuaire/organisations', { name: 'Mission locale de l’Indre', kind: 'partner', commune: 'chateauroux', email: 'Contact@ML36.example' })
  t.equal(created.statusCode, 303)
  const url = String(created.headers.location).split('?')[0]
  const page = (await tic.get(String(created.headers.location))).body
  t.match(page, /<h1>Mission locale de l’Indre<\/h1>/)
  t.match(page, /L’organisation est créée/)
  t.match(page, /<dd>36044<\/dd>/, '« chateauroux » typed, Châteauroux’s INSEE code kept')
  t.match((await tic.get('/annuaire/organisations?q=mission')).body, new RegExp(`<a href="${url}">Mission locale de l’Indre</a>`), 'listed, its name a link')

  const renamed = await tic.post(url, { name: 'Mission locale de l’Indre (Châteauroux)', email: '', status: 'active' })
  t.equal(renamed.statusCode, 303)
  t.match((await tic.get(url)).body, /<h1>Mission locale de l’Indre \(Châteauroux\)<\/h1>/)
  const badStatus = await tic.post(url, { name: 'X', email: '', status: 'disparue' })
  t.equal(fieldError(badStatus.body, 'org-statut'), 'Choisissez un statut.')

  const noCoverage = await tic.post(`${url}/couverture`, { themeCode: '', territoryKind: 'commune', territoryCode: '' })
  t.equal(noCoverage.statusCode, 400)
  t.equal(fieldError(noCoverage.body, 'couverture-theme'), 'Choisissez un thème.')
  t.equal(fieldError(noCoverage.body, 'couverture-code'), 'Indiquez la commune ou le code de l’intercommunalité.')
  const covered = await tic.post(`${url}/couverture`, { themeCode: 'aides-caf', territoryKind: 'commune', territoryCode: 'Deols' })
  t.equal(covered.statusCode, 303)
  const withCoverage = (await tic.get(url)).body
  t.match(withCoverage, /<th scope="row">Aides de la CAF<\/th><td>Commune<\/td><td>36063<\/td>/, 'the coverage is listed with the theme’s name')
  const whole = await tic.post(`${url}/couverture`, { themeCode: 'aides-caf', territoryKind: 'departement', territoryCode: '' })
  t.equal(whole.statusCode, 303, 'the whole département needs no code')
  t.match((await tic.get(url)).body, /<td>Département<\/td><td>36<\/td>/)
  const coverageId = /\/couverture\/([0-9a-f-]{36})\/retirer/.exec(withCoverage)![1]
  t.equal((await tic.post(`${url}/couverture/${coverageId}/retirer`, {})).statusCode, 303)
  t.notMatch((await tic.get(url)).body, /<td>36063<\/td>/, 'retired')

  const themeWrong = await tic.post('/annuaire/themes', { code: 'Mauvais Code', label: '' })
  t.equal(themeWrong.statusCode, 400)
  t.ok(fieldError(themeWrong.body, 'theme-code') && fieldError(themeWrong.body, 'theme-libelle'), 'both theme fields at once')
  t.equal((await tic.post('/annuaire/themes', { code: 'mobilite', label: 'Mobilité et transports' })).statusCode, 303)
  const twice = await tic.post('/annuaire/themes', { code: 'mobilite', label: 'Encore' })
  t.equal(twice.statusCode, 409, 'a code taken is refused')
  t.match(twice.body, /Le thème n’a pas été créé/)
  const sec = new Visitor(app)
  await sec.login('secretaire@ardentes.demo')
  t.match((await sec.get('/saisines/nouvelle')).body, />Mobilité et transports</, 'a new theme is offered to file')
  const themes = (await tic.get('/annuaire/themes')).body
  const themeUrl = /<a href="(\/annuaire\/themes\/[0-9a-f-]{36})">Mobilité et transports<\/a>/.exec(themes)![1]
  t.equal((await tic.post(themeUrl, { label: 'Mobilité' })).statusCode, 303, 'renamed, and unticked: no longer offered')
  t.notMatch((await sec.get('/saisines/nouvelle')).body, />Mobilité</)
  t.match((await tic.get(themeUrl)).body, /<h1>Mobilité<\/h1>/)

  t.equal((await sec.post('/annuaire/themes', { code: 'x', label: 'X' })).statusCode, 403, 'a secretary changes nothing')
  const cher = new Visitor(app)
  await cher.login('tic@cher.demo')
  t.equal((await cher.get(url)).statusCode, 404, 'another département’s mission TIC does not see it')
  t.equal((await cher.post(`${url}/couverture`, { themeCode: 'aides-caf', territoryKind: 'departement', territoryCode: '' })).statusCode, 404)
  t.match((await tic.get('/journal')).body, /Mission locale de l’Indre/, 'the changes are on the audit log')
})
