/**
 * Pure rules of the network's directory: who may manage whom, which territory codes a tenant may use,
 * and the checks of a routing rule or coverage line (from the API or from a CSV file).
 */

export const ROLES = ['secretary', 'referent', 'org_admin', 'network_admin'] as const
export type DirectoryRole = (typeof ROLES)[number]
export const ORGANISATION_KINDS = ['mairie', 'partner', 'msap', 'mission_tic'] as const
export type OrganisationKind = (typeof ORGANISATION_KINDS)[number]
export const ORGANISATION_STATUSES = ['onboarding', 'active', 'suspended'] as const
export type OrganisationStatus = (typeof ORGANISATION_STATUSES)[number]
export const TERRITORY_KINDS = ['commune', 'epci', 'departement'] as const
export type TerritoryKindCode = (typeof TERRITORY_KINDS)[number]

export interface Actor { personId: string; organisationId: string; role: DirectoryRole }

export const normaliseEmail = (email: string) => email.trim().toLowerCase()

// ---------------------------------------------------------------- people
// Who may list and manage whom: access.ts (peopleListScope, personRefusal).

export interface BackupFacts { id: string; organisationId: string; active: boolean }

/** A backup stands in for an absent person: an active colleague of the same organisation, not the person. */
export function backupViolation(person: { id?: string; organisationId: string }, backup: BackupFacts | undefined): string | null {
  if (!backup) return 'Cette personne est introuvable.'
  if (person.id && backup.id === person.id) return 'Une personne ne peut pas être sa propre suppléante.'
  if (backup.organisationId !== person.organisationId) return 'La personne suppléante doit appartenir à la même organisation.'
  if (!backup.active) return 'La personne suppléante doit être active.'
  return null
}

/** The absence period, when both ends are given, must end after it starts. */
export function absenceViolation(from: Date | null, until: Date | null): string | null {
  if (from && until && until.getTime() <= from.getTime()) return 'La fin de l’absence doit être postérieure à son début.'
  return null
}

/** Tenant-wide power is held by the département's mission TIC only. */
export function roleOrganisationViolation(role: DirectoryRole, organisationKind: string): string | null {
  if (role === 'network_admin' && organisationKind !== 'mission_tic') return 'Un administrateur du réseau doit appartenir à la mission TIC.'
  return null
}

// ---------------------------------------------------------------- territories

/** The territory a tenant may name: its département, its communes, and the EPCI that have communes in it. */
export interface TenantTerritory { departement: string; communes: ReadonlySet<string>; epcis: ReadonlySet<string> }

export function territoryKindViolation(kind: string): string | null {
  // A canton, an arrondissement… are not modelled: refused here rather than never matching (silently to triage).
  return (TERRITORY_KINDS as readonly string[]).includes(kind) ? null : `Type de territoire « ${kind} » non pris en charge : indiquez commune, epci ou departement.`
}

export function territoryViolation(kind: TerritoryKindCode, code: string, t: TenantTerritory): string | null {
  switch (kind) {
    case 'commune': return t.communes.has(code) ? null : `« ${code} » n’est pas le code INSEE d’une commune du département ${t.departement}.`
    case 'epci': return t.epcis.has(code) ? null : `« ${code} » n’est pas le code SIREN d’un EPCI ayant des communes dans le département ${t.departement}.`
    case 'departement': return code === t.departement ? null : `Le code du département doit être ${t.departement}.`
  }
}

// ---------------------------------------------------------------- routing rules and coverage

export interface ThemeRef { id: string; code: string; active: boolean }
export interface OrganisationRef { id: string; name: string; kind: string; status: string }
export interface PersonRef { id: string; email: string; organisationId: string; role: string; active: boolean }

/** Where a problem lies, named once for the API (camelCase) and once for the CSV columns. */
export type AssignmentField = 'theme' | 'territoryKind' | 'territoryCode' | 'organisation' | 'person'
export interface AssignmentIssue { field: AssignmentField; message: string }

export interface AssignmentInput {
  themeCode: string
  territoryKind: string
  territoryCode: string
  /** What the caller wrote for the organisation (its id or name), for messages. */
  organisation: string
  /** What the caller wrote for the referent (email or id), empty when none. */
  person?: string
}

/**
 * Checks one routing rule or coverage entry once its references are resolved (undefined = not found):
 * the theme is active, the territory belongs to the tenant, the organisation is an active partner,
 * France services site or mission TIC, and the referent, if any, is an active referent of it.
 */
export function assignmentIssues(
  input: AssignmentInput,
  refs: { theme?: ThemeRef; organisation?: OrganisationRef; person?: PersonRef; organisationAmbiguous?: boolean },
  territory: TenantTerritory,
): AssignmentIssue[] {
  const issues: AssignmentIssue[] = []
  if (!refs.theme) issues.push({ field: 'theme', message: `Thème inconnu : « ${input.themeCode} ».` })
  else if (!refs.theme.active) issues.push({ field: 'theme', message: `Le thème « ${input.themeCode} » est désactivé.` })
  const kindIssue = territoryKindViolation(input.territoryKind)
  if (kindIssue) issues.push({ field: 'territoryKind', message: kindIssue })
  else {
    const codeIssue = territoryViolation(input.territoryKind as TerritoryKindCode, input.territoryCode, territory)
    if (codeIssue) issues.push({ field: 'territoryCode', message: codeIssue })
  }
  if (refs.organisationAmbiguous) {
    issues.push({ field: 'organisation', message: `Plusieurs organisations s’appellent « ${input.organisation} » : indiquez son identifiant.` })
  } else if (!refs.organisation) {
    issues.push({ field: 'organisation', message: `Organisation introuvable : « ${input.organisation} ».` })
  } else if (refs.organisation.kind === 'mairie') {
    issues.push({ field: 'organisation', message: 'Une mairie ne peut pas recevoir de saisines : choisissez un organisme partenaire, un espace France services ou la mission TIC.' })
  } else if (refs.organisation.status !== 'active' && refs.organisation.status !== 'onboarding') {
    // An organisation still onboarding may get its rules ready (routing skips it until it is active); a suspended one not.
    issues.push({ field: 'organisation', message: `L’organisation « ${refs.organisation.name} » n’est pas active.` })
  }
  if (input.person) {
    if (!refs.person) issues.push({ field: 'person', message: `Référent introuvable : « ${input.person} ».` })
    else if (!refs.person.active) issues.push({ field: 'person', message: `Le référent « ${refs.person.email} » est désactivé.` })
    else if (refs.person.role !== 'referent') issues.push({ field: 'person', message: `« ${refs.person.email} » n’est pas un référent.` })
    else if (refs.organisation && refs.person.organisationId !== refs.organisation.id) {
      issues.push({ field: 'person', message: `Le référent « ${refs.person.email} » n’appartient pas à l’organisation « ${refs.organisation.name} ».` })
    }
  }
  return issues
}

// ---------------------------------------------------------------- CSV

/** One line per territory × theme; the same columns for routing rules and coverage. */
export const ASSIGNMENT_CSV_COLUMNS = ['theme_code', 'territory_kind', 'territory_code', 'organisation', 'referent_email'] as const
export const ASSIGNMENT_CSV_COLUMN: Record<AssignmentField, (typeof ASSIGNMENT_CSV_COLUMNS)[number]> = {
  theme: 'theme_code', territoryKind: 'territory_kind', territoryCode: 'territory_code', organisation: 'organisation', person: 'referent_email',
}

export interface CsvRecord { line: number; values: string[] }
export interface CsvIssue { line: number; column?: string; message: string }

/** The header must name the columns in order; referent_email may be left out. */
export function assignmentHeaderIssue(header: CsvRecord | undefined): CsvIssue | null {
  const expected = ASSIGNMENT_CSV_COLUMNS.join(';')
  if (!header) return { line: 1, message: `Le fichier est vide : la ligne d’en-tête « ${expected} » est obligatoire.` }
  const names = header.values.map((v) => v.trim().toLowerCase())
  const required = ASSIGNMENT_CSV_COLUMNS.slice(0, 4)
  const ok = (names.length === 4 || names.length === 5) && names.every((n, i) => n === ASSIGNMENT_CSV_COLUMNS[i])
  if (ok) return null
  if (names.length === 1 && names[0].includes(',')) {
    return { line: header.line, message: `Le séparateur attendu est le point-virgule (;). En-tête attendu : « ${expected} ».` }
  }
  return { line: header.line, message: `En-tête invalide : colonnes attendues « ${expected} » (${required.length} premières obligatoires).` }
}

export interface AssignmentCsvLine extends AssignmentInput { line: number }

/** Splits a data line into its fields, or says why it cannot be read. */
export function assignmentCsvLine(record: CsvRecord): AssignmentCsvLine | CsvIssue[] {
  const v = record.values.map((x) => x.trim())
  if (v.length < 4 || v.length > 5) {
    return [{ line: record.line, message: `La ligne compte ${v.length} colonne(s) au lieu de 4 ou 5 (séparateur : point-virgule).` }]
  }
  const issues: CsvIssue[] = []
  for (let i = 0; i < 4; i++) if (!v[i]) issues.push({ line: record.line, column: ASSIGNMENT_CSV_COLUMNS[i], message: 'Cette colonne est obligatoire.' })
  if (issues.length) return issues
  return { line: record.line, themeCode: v[0], territoryKind: v[1].toLowerCase(), territoryCode: v[2], organisation: v[3], person: v[4] ?? '' }
}

/** A key per line, so that a file naming the same entry twice is refused with both line numbers. */
export function duplicateIssues<T extends { line: number }>(lines: T[], key: (l: T) => string, what: string): CsvIssue[] {
  const seen = new Map<string, number>()
  const issues: CsvIssue[] = []
  for (const l of lines) {
    const k = key(l)
    const first = seen.get(k)
    if (first !== undefined) issues.push({ line: l.line, message: `${what} en double : déjà à la ligne ${first}.` })
    else seen.set(k, l.line)
  }
  return issues
}
