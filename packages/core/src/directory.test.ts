import t from 'tap'
import {
  absenceViolation, assignmentCsvLine, assignmentHeaderIssue, assignmentIssues, backupViolation, duplicateIssues,
  roleOrganisationViolation, territoryViolation, type TenantTerritory,
} from './directory.ts'

t.test('backup, absence and role rules', async (t) => {
  const person = { id: 'a', organisationId: 'org-caf' }
  t.equal(backupViolation(person, { id: 'b', organisationId: 'org-caf', active: true }), null)
  t.match(backupViolation(person, undefined), /introuvable/)
  t.match(backupViolation(person, { id: 'a', organisationId: 'org-caf', active: true }), /propre suppléante/)
  t.match(backupViolation(person, { id: 'b', organisationId: 'org-ddt', active: true }), /même organisation/)
  t.match(backupViolation(person, { id: 'b', organisationId: 'org-caf', active: false }), /active/)
  t.match(backupViolation({ organisationId: 'org-caf' }, { id: 'b', organisationId: 'org-caf', active: false }), /active/, 'checked at creation too')

  t.equal(absenceViolation(null, null), null)
  t.equal(absenceViolation(new Date('2026-08-01'), null), null, 'an open-ended absence')
  t.equal(absenceViolation(new Date('2026-08-01'), new Date('2026-08-02')), null)
  t.match(absenceViolation(new Date('2026-08-02'), new Date('2026-08-02')), /postérieure/)

  t.equal(roleOrganisationViolation('network_admin', 'mission_tic'), null)
  t.match(roleOrganisationViolation('network_admin', 'partner'), /mission TIC/)
  t.equal(roleOrganisationViolation('referent', 'partner'), null)
})

const indre: TenantTerritory = { departement: '36', communes: new Set(['36005', '36044']), epcis: new Set(['243600327']) }

t.test('territories of the tenant only', async (t) => {
  t.equal(territoryViolation('commune', '36005', indre), null)
  t.match(territoryViolation('commune', '18033', indre), /département 36/)
  t.equal(territoryViolation('epci', '243600327', indre), null)
  t.match(territoryViolation('epci', '241800507', indre), /EPCI/)
  t.equal(territoryViolation('departement', '36', indre), null)
  t.match(territoryViolation('departement', '18', indre), /doit être 36/)
})

t.test('a routing rule or coverage entry', async (t) => {
  const theme = { id: 'th', code: 'aides-caf', active: true }
  const organisation = { id: 'org-caf', name: 'CAF de l’Indre', kind: 'partner', status: 'active' }
  const person = { id: 'p', email: 'referent@caf36.demo', organisationId: 'org-caf', role: 'referent', active: true }
  const input = { themeCode: 'aides-caf', territoryKind: 'commune', territoryCode: '36005', organisation: 'CAF de l’Indre', person: 'referent@caf36.demo' }
  t.same(assignmentIssues(input, { theme, organisation, person }, indre), [])
  t.same(assignmentIssues({ ...input, person: '' }, { theme, organisation }, indre), [], 'the referent is optional')

  const fields = (...args: Parameters<typeof assignmentIssues>) => assignmentIssues(...args).map((i) => i.field)
  t.same(fields(input, { organisation, person }, indre), ['theme'])
  t.same(fields(input, { theme: { ...theme, active: false }, organisation, person }, indre), ['theme'])
  t.same(fields({ ...input, territoryKind: 'canton' }, { theme, organisation, person }, indre), ['territoryKind'])
  t.same(fields({ ...input, territoryCode: '18033' }, { theme, organisation, person }, indre), ['territoryCode'])
  t.same(fields(input, { theme, person }, indre), ['organisation'])
  t.same(fields(input, { theme, organisation, person, organisationAmbiguous: true }, indre), ['organisation'])
  t.same(fields(input, { theme, organisation: { ...organisation, kind: 'mairie' }, person }, indre), ['organisation'])
  t.same(fields(input, { theme, organisation: { ...organisation, status: 'suspended' }, person }, indre), ['organisation'])
  t.same(fields(input, { theme, organisation: { ...organisation, status: 'onboarding' }, person }, indre), [], 'an organisation still onboarding gets its rules ready (routing skips it until active)')
  t.same(fields(input, { theme, organisation }, indre), ['person'])
  t.same(fields(input, { theme, organisation, person: { ...person, active: false } }, indre), ['person'])
  t.same(fields(input, { theme, organisation, person: { ...person, role: 'org_admin' } }, indre), ['person'])
  t.same(fields(input, { theme, organisation, person: { ...person, organisationId: 'org-ddt' } }, indre), ['person'])
})

t.test('CSV header and lines', async (t) => {
  t.equal(assignmentHeaderIssue({ line: 1, values: ['theme_code', 'territory_kind', 'territory_code', 'organisation', 'referent_email'] }), null)
  t.equal(assignmentHeaderIssue({ line: 1, values: ['Theme_Code ', 'territory_kind', 'territory_code', 'organisation'] }), null, 'case, spaces and the optional column')
  t.match(assignmentHeaderIssue(undefined), { line: 1, message: /vide/ })
  t.match(assignmentHeaderIssue({ line: 1, values: ['theme_code,territory_kind,territory_code,organisation'] }), { message: /point-virgule/ })
  t.match(assignmentHeaderIssue({ line: 2, values: ['organisation', 'theme_code', 'territory_kind', 'territory_code'] }), { line: 2, message: /En-tête invalide/ })

  t.same(assignmentCsvLine({ line: 3, values: [' urbanisme ', 'COMMUNE', '36005', 'DDT', ''] }),
    { line: 3, themeCode: 'urbanisme', territoryKind: 'commune', territoryCode: '36005', organisation: 'DDT', person: '' })
  t.same(assignmentCsvLine({ line: 4, values: ['urbanisme', 'commune', '36005', 'DDT'] }),
    { line: 4, themeCode: 'urbanisme', territoryKind: 'commune', territoryCode: '36005', organisation: 'DDT', person: '' })
  t.match(assignmentCsvLine({ line: 5, values: ['urbanisme', 'commune'] }), [{ line: 5, message: /2 colonne/ }])
  t.match(assignmentCsvLine({ line: 6, values: ['', 'commune', '', 'DDT'] }), [{ line: 6, column: 'theme_code' }, { line: 6, column: 'territory_code' }])

  const lines = [{ line: 2, k: 'a' }, { line: 3, k: 'b' }, { line: 7, k: 'a' }]
  t.same(duplicateIssues(lines, (l) => l.k, 'Règle'), [{ line: 7, message: 'Règle en double : déjà à la ligne 2.' }])
})
