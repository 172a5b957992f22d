/**
 * Who may do what: one table, role × action × reach. Every route and page declares the action it serves; one hook
 * checks the role part before the handler runs (a role absent from the action's line is refused, 403). The reach
 * part — "her mairie's referral", "a person of her organisation" — needs the row: the use case loads it and asks
 * `authorize` (or one of the helpers below), so that a row out of reach answers like a missing one where the rule
 * says so (404). Pure: no I/O, no HTTP; the tests and the isolation probe read the same table.
 */
import { Forbidden, forbidden, notFound } from './errors.ts'
import type { ReferralAction } from './referral.ts'

export const PERSON_ROLES = ['secretary', 'referent', 'org_admin', 'network_admin'] as const
export type PersonRole = (typeof PERSON_ROLES)[number]
/** Who acts: a person's role, or the platform itself (routing on filing, a bounced address moving a referral). */
export type Subject = PersonRole | 'system'

/**
 * Which rows of the action's object a role reaches:
 * - tenant: every row of her département's network (rows of other tenants never: RLS and explicit filters);
 * - own_mairie: referrals filed by her organisation (a mairie);
 * - holder: referrals her organisation holds;
 * - own_organisation: people of her organisation;
 * - self: her own person record only;
 * - active: active rows only (themes).
 */
export type Reach = 'tenant' | 'own_mairie' | 'holder' | 'own_organisation' | 'self' | 'active'

export interface Rule {
  /** The roles that may take the action, each with its reach. A role absent from the map never may. */
  readonly who: Readonly<Partial<Record<Subject, Reach>>>
  /** What a refused role is told (403); absent: the generic message. */
  readonly refusal?: string
  /** A row out of reach: 'not_found' answers as if it did not exist (404), 'forbidden' says no (403). */
  readonly outOfReach?: 'not_found' | 'forbidden'
}

const EVERYONE_IN_TENANT = { secretary: 'tenant', referent: 'tenant', org_admin: 'tenant', network_admin: 'tenant' } as const
const MISSION_TIC = { network_admin: 'tenant' } as const
const PEOPLE_ADMINS = { network_admin: 'tenant', org_admin: 'own_organisation' } as const
/** Who sees a referral: the mairie that filed it, the organisation that holds it, the mission TIC. */
const REFERRAL_READERS = { secretary: 'own_mairie', referent: 'holder', org_admin: 'holder', network_admin: 'tenant' } as const
const HOLDER_SIDE = { referent: 'holder', org_admin: 'holder', network_admin: 'tenant' } as const
const MAIRIE_SIDE = { secretary: 'own_mairie', network_admin: 'tenant' } as const

const TIC_PAGE = 'Cette page est réservée à la mission TIC.'
const ROUTING = 'Seule la mission TIC consulte et modifie le routage des saisines.'

export const ACCESS = {
  /** Her own account, session and home page. */
  'me.read': { who: { secretary: 'self', referent: 'self', org_admin: 'self', network_admin: 'self' } },
  /** The directory's organisations: secretaries pick mairies and partners. */
  'organisation.read': { who: EVERYONE_IN_TENANT },
  /** Themes: active ones for everyone (to file a referral), all of them for the mission TIC. */
  'theme.read': { who: { secretary: 'active', referent: 'active', org_admin: 'active', network_admin: 'tenant' }, outOfReach: 'not_found' },
  /** Organisations, themes, routing rules and coverage are written by the mission TIC. */
  'directory.write': { who: MISSION_TIC, refusal: 'Seule la mission TIC peut modifier l’annuaire du réseau.' },
  'routing.read': { who: MISSION_TIC, refusal: ROUTING },
  'routing.import': { who: MISSION_TIC, refusal: ROUTING },
  /** People: all of them for the mission TIC, her organisation's for an org admin, herself for anyone. */
  'people.read': { who: { ...PEOPLE_ADMINS, secretary: 'self', referent: 'self' }, refusal: 'Vous ne pouvez consulter que les personnes de votre organisation.', outOfReach: 'forbidden' },
  'people.create': { who: PEOPLE_ADMINS, refusal: 'Seuls les administrateurs peuvent ajouter des personnes.', outOfReach: 'forbidden' },
  'people.manage': { who: PEOPLE_ADMINS, refusal: 'Seuls les administrateurs peuvent gérer les personnes de l’annuaire.', outOfReach: 'forbidden' },
  /** A secretary files for her own mairie. */
  'referral.file': { who: { secretary: 'own_mairie' }, refusal: 'Seul le secrétariat d’une mairie peut déposer une saisine.' },
  'referral.read': { who: REFERRAL_READERS, outOfReach: 'not_found' },
  /** The internal note stays with the mairie that wrote it (and the mission TIC). */
  'referral.note': { who: { secretary: 'own_mairie', referent: 'own_mairie', org_admin: 'own_mairie', network_admin: 'tenant' } },
  // The actions on a referral (the state machine says in which status): the platform assigns on filing, the
  // mission TIC from its triage queue; the holder's side answers; the mairie's side follows up and closes.
  'referral.assign': { who: { system: 'tenant', network_admin: 'tenant' }, outOfReach: 'not_found' },
  'referral.answer': { who: HOLDER_SIDE, outOfReach: 'not_found' },
  'referral.request_info': { who: HOLDER_SIDE, outOfReach: 'not_found' },
  'referral.propose_appointment': { who: HOLDER_SIDE, outOfReach: 'not_found' },
  // The platform also moves a referral whose referent's address bounced.
  'referral.transfer': { who: { ...HOLDER_SIDE, system: 'tenant' }, outOfReach: 'not_found' },
  /** Another person of the holding organisation takes it over: its admins decide (and the mission TIC). */
  'referral.reassign': { who: { org_admin: 'holder', network_admin: 'tenant' }, refusal: 'Seuls les administrateurs de l’organisme qui détient la saisine peuvent la réaffecter.', outOfReach: 'not_found' },
  /** The complement never came: the holder's side closes it « sans suite ». */
  'referral.close_no_reply': { who: HOLDER_SIDE, outOfReach: 'not_found' },
  'referral.provide_info': { who: MAIRIE_SIDE, outOfReach: 'not_found' },
  'referral.close': { who: MAIRIE_SIDE, outOfReach: 'not_found' },
  'referral.reopen': { who: MAIRIE_SIDE, outOfReach: 'not_found' },
  'referral.cancel': { who: MAIRIE_SIDE, outOfReach: 'not_found' },
  /** Mails that failed or wait for a retry. */
  'mails.read': { who: MISSION_TIC },
  /** « Renvoyer » a mail that failed. */
  'mails.resend': { who: MISSION_TIC, refusal: 'Seule la mission TIC peut renvoyer un courriel en échec.' },
  'sla_policy.read': { who: MISSION_TIC },
  'sla_policy.write': { who: MISSION_TIC },
  /** The network at a glance and the triage queue (pages). */
  'network.overview': { who: MISSION_TIC, refusal: TIC_PAGE },
  /** The directory's pages (organisations, people, themes, rules, SLA policy). */
  'directory.browse': { who: MISSION_TIC, refusal: TIC_PAGE },
  /**
   * The knowledge base: published fiches are read by everyone of the network; a fiche is written and published by
   * the referents and admins of the organisation that owns it, and by the mission TIC. A draft is seen only by
   * those who may write it (404 for others).
   */
  'fiche.read': { who: EVERYONE_IN_TENANT },
  'fiche.write': { who: { referent: 'own_organisation', org_admin: 'own_organisation', network_admin: 'tenant' }, refusal: 'Seuls les référents et les administrateurs de l’organisme qui rédige la fiche, et la mission TIC, peuvent la modifier.', outOfReach: 'forbidden' },
  /** A fiche drafted from an answer: by the side that holds (and answered) the referral; others do not see it. */
  'fiche.from_answer': { who: HOLDER_SIDE, refusal: 'Seul l’organisme qui détient la saisine peut faire une fiche de sa réponse.', outOfReach: 'not_found' },
  /** « Cette fiche répond à la question »: the secretary who would have filed records it, for her mairie. */
  'deflection.record': { who: { secretary: 'own_mairie' }, refusal: 'Seul le secrétariat d’une mairie enregistre une question résolue par une fiche.' },
  /** Import and export of fiches as a bundle: the mission TIC for any organisation, an org admin for her own. */
  'fiche.bundle': { who: { org_admin: 'own_organisation', network_admin: 'tenant' }, refusal: 'Seuls la mission TIC et les administrateurs d’un organisme importent ou exportent des fiches.', outOfReach: 'forbidden' },
  /** What the base answers and where it is missing. */
  'knowledge.stats': { who: MISSION_TIC, refusal: TIC_PAGE },
  /** The audit log of the directory and the SLA policy (who, when, before → after). */
  'audit.read': { who: MISSION_TIC, refusal: TIC_PAGE },
  /** An org admin's page of her organisation's people. */
  'organisation.people': { who: { org_admin: 'own_organisation' }, refusal: 'Cette page est réservée aux administrateurs d’organisme.' },
  // ---- Issue 13 (onboarding): invitations and one's own password.
  /** Invite a person (a mail with a link to choose her password): the mission TIC anyone, an org admin her organisation's. */
  'people.invite': { who: PEOPLE_ADMINS, refusal: 'Seuls les administrateurs peuvent inviter des personnes.', outOfReach: 'not_found' },
  /** « Mon compte »: her own password, the current one asked again. */
  'account.password': { who: { secretary: 'self', referent: 'self', org_admin: 'self', network_admin: 'self' } },

  // ---- Issue 17: SLA statistics. Figures per organisation, theme, territory or month, never per person (no agent is
  // ranked, for staff trust). The mission TIC: the whole network; an org admin: her organisation beside the network
  // (no other organisation by name); a mairie's secretary: her mairie's referrals beside the network.
  'stats.read': { who: { secretary: 'own_mairie', org_admin: 'own_organisation', network_admin: 'tenant' }, refusal: 'Les statistiques sont réservées à la mission TIC, aux administrateurs d’organisme et aux mairies.', outOfReach: 'forbidden' },
  /** The CSV and XLSX exports of the figures and of the referral list behind them (no citizen data). */
  'stats.export': { who: { secretary: 'own_mairie', org_admin: 'own_organisation', network_admin: 'tenant' }, refusal: 'Les statistiques sont réservées à la mission TIC, aux administrateurs d’organisme et aux mairies.', outOfReach: 'forbidden' },
  // Issue 18, the citizen. The acknowledgement of receipt (printed with a new tracking code) is the filing mairie's
  // (and the mission TIC's); the tenant's rules for citizens' data are the mission TIC's. /suivi is public.
  'referral.acknowledge': { who: MAIRIE_SIDE, refusal: 'Seule la mairie qui a déposé la saisine imprime l’accusé de réception.', outOfReach: 'not_found' },
  'privacy.settings': { who: MISSION_TIC, refusal: TIC_PAGE },
  // Issue 18 (continued): the written answer forwarded to the citizen in the mairie's name (mail, or a letter to print);
  // the log of who displayed a referral's citizen data; the rights of access and erasure (the mission TIC).
  'referral.forward_answer': { who: MAIRIE_SIDE, refusal: 'Seule la mairie qui a déposé la saisine transmet la réponse à l’usager.', outOfReach: 'not_found' },
  'referral.access_log': { who: MISSION_TIC, refusal: 'Seule la mission TIC consulte le journal des accès aux données des usagers.', outOfReach: 'not_found' },
  'privacy.subjects': { who: MISSION_TIC, refusal: 'Seule la mission TIC recherche, exporte ou efface les données d’un usager.' },
  /** Convention versions: the mission TIC publishes them; the org admins (who sign) and the mission TIC read them. */
  'convention.read': { who: { org_admin: 'tenant', network_admin: 'tenant' }, refusal: 'Les conventions sont lues par les administrateurs d’organisme et la mission TIC.' },
  'convention.publish': { who: MISSION_TIC, refusal: 'Seule la mission TIC publie les conventions.' },
  // ---- Issue 13: signing, countersigning, the register. An org admin signs for her organisation the version in force
  // for its kind; its receipt is hers and the mission TIC's; the mission TIC countersigns, keeps the register, verifies.
  'convention.sign': { who: { org_admin: 'own_organisation' }, refusal: 'Seul un administrateur de l’organisme signe sa convention.', outOfReach: 'not_found' },
  'convention.receipt': { who: { org_admin: 'own_organisation', network_admin: 'tenant' }, refusal: 'Les reçus de signature sont ceux de l’organisme signataire et de la mission TIC.', outOfReach: 'not_found' },
  'convention.countersign': { who: MISSION_TIC, refusal: 'Seule la mission TIC contresigne les conventions.' },
  'convention.register': { who: MISSION_TIC, refusal: TIC_PAGE },
  'convention.verify': { who: MISSION_TIC, refusal: TIC_PAGE },
  /** The onboarding checklist of one's organisation (the mission TIC sees any). */
  'onboarding.read': { who: { secretary: 'own_organisation', referent: 'own_organisation', org_admin: 'own_organisation', network_admin: 'tenant' }, outOfReach: 'not_found' },
  // ---- Issue 14: appointments at France services (places, permanences, free slots, booking).
  /** Places and permanences are read by everyone of the network (to book, to tell the citizen where to go). */
  'place.read': { who: EVERYONE_IN_TENANT },
  /** Places (France services sites, partners' offices, mairies) are the mission TIC's to write. */
  'place.write': { who: MISSION_TIC, refusal: 'Seule la mission TIC gère les lieux d’accueil.' },
  'permanence.read': { who: EVERYONE_IN_TENANT },
  /** An organisation's admin declares its permanences; the mission TIC any organisation's. */
  'permanence.write': { who: { org_admin: 'own_organisation', network_admin: 'tenant' }, refusal: 'Seuls les administrateurs d’un organisme et la mission TIC déclarent des permanences.', outOfReach: 'forbidden' },
  /** The free slots for a referral: its holder's side, like booking (referral.propose_appointment). */
  'appointment.slots': { who: HOLDER_SIDE, outOfReach: 'not_found' },
  /** Appointments: the referent's own, her organisation's for an admin, her mairie's for a secretary. */
  'appointment.read': { who: { secretary: 'own_mairie', referent: 'holder', org_admin: 'holder', network_admin: 'tenant' }, outOfReach: 'not_found' },
  /** Moved or cancelled, with a reason, by the holder's side or the mairie's. */
  'appointment.change': { who: { secretary: 'own_mairie', referent: 'holder', org_admin: 'holder', network_admin: 'tenant' }, outOfReach: 'not_found' },
  /** Held, no-show or cancelled by the citizen: recorded by the holder's side once the time has come. */
  'appointment.outcome': { who: HOLDER_SIDE, refusal: 'Seul l’organisme qui reçoit l’usager indique si le rendez-vous a eu lieu.', outOfReach: 'not_found' },
  // ---- Issue 15: attachments. Those who see a referral add files to it (then carried by their action) and download
  // its files; out of reach is a 404 like the referral itself. Before filing, a secretary uploads under referral.file.
  'attachment.add': { who: REFERRAL_READERS, outOfReach: 'not_found' },
  'attachment.read': { who: REFERRAL_READERS, outOfReach: 'not_found' },
} as const satisfies Record<string, Rule>

export type Action = keyof typeof ACCESS
export const ACTIONS = Object.keys(ACCESS) as Action[]
export const isAction = (value: unknown): value is Action => typeof value === 'string' && Object.hasOwn(ACCESS, value)

/**
 * Issue 13: what people of an organisation still onboarding (convention not yet countersigned) may open — the
 * checklist, the convention and its signature, inviting her people, « Mon compte », logging out. Anything else is
 * refused with ONBOARDING_REFUSAL (API 403 `onboarding_only`, a French page).
 */
export const ONBOARDING_ACTIONS: ReadonlySet<Action> = new Set<Action>([
  'me.read', 'account.password', 'onboarding.read', 'convention.read', 'convention.sign', 'convention.receipt', 'people.invite', 'organisation.people',
])
export const ONBOARDING_REFUSAL = 'Votre organisme n’a pas encore rejoint le réseau : tant que sa convention n’est pas signée et contresignée par la mission TIC, seules les pages d’adhésion vous sont ouvertes (liste des étapes, convention, invitations, « Mon compte »).'

/** Refuses (403 onboarding_only) an action outside the onboarding pages to people of an organisation still onboarding. */
export function authorizeOnboarding(p: { onboarding?: boolean }, action: Action): void {
  if (p.onboarding && !ONBOARDING_ACTIONS.has(action)) throw new Forbidden('onboarding_only', ONBOARDING_REFUSAL)
}

/** The one who asks. */
export interface Principal { personId: string; organisationId: string; role: Subject }

/** What the reach rules look at in a row (only the fields its kind has). */
export interface RowFacts {
  mairieOrganisationId?: string
  holderOrganisationId?: string
  organisationId?: string
  personId?: string
  active?: boolean
}

export function reachOf(subject: Subject, action: Action): Reach | null {
  return (ACCESS[action] as Rule).who[subject] ?? null
}

/** The role part: may this role take the action on some row at least? */
export const mayAttempt = (subject: Subject, action: Action): boolean => reachOf(subject, action) !== null

/** The subjects (roles, the platform) that may take an action. */
export const subjectsOf = (action: Action): Subject[] => Object.keys((ACCESS[action] as Rule).who) as Subject[]

/** The reach part: does the principal reach this row? */
export function reaches(p: Principal, action: Action, row: RowFacts): boolean {
  switch (reachOf(p.role, action)) {
    case null: return false
    case 'tenant': return true
    case 'own_mairie': return row.mairieOrganisationId === p.organisationId
    case 'holder': return row.holderOrganisationId === p.organisationId
    case 'own_organisation': return row.organisationId === p.organisationId
    case 'self': return row.personId === p.personId
    case 'active': return row.active === true
  }
}

/** Refuses (403, the rule's message) a role that may never take the action: the check every route runs first. */
export function authorizeRole(p: Principal, action: Action): void {
  if (!mayAttempt(p.role, action)) throw forbidden((ACCESS[action] as Rule).refusal)
}

/**
 * Role, then reach on the loaded row: a row out of reach is "not found" or "forbidden" as the rule says.
 * `what` names the object in the 404's message (« Cette saisine »).
 */
export function authorize(p: Principal, action: Action, row?: RowFacts, what?: string): void {
  authorizeRole(p, action)
  if (row && !reaches(p, action, row)) {
    const rule = ACCESS[action] as Rule
    throw rule.outOfReach === 'forbidden' ? forbidden(rule.refusal) : notFound(what)
  }
}

// ---------------------------------------------------------------- referrals

export interface ReferralFacts { mairie_organisation_id: string; holder_organisation_id: string }
const referralFacts = (r: ReferralFacts): RowFacts => ({ mairieOrganisationId: r.mairie_organisation_id, holderOrganisationId: r.holder_organisation_id })

/** Which referrals a person may see; anything else is 404. */
export const canSeeReferral = (p: Principal, r: ReferralFacts): boolean => reaches(p, 'referral.read', referralFacts(r))

/** May the person read the referral's internal note? */
export const canReadNote = (p: Principal, r: ReferralFacts): boolean => reaches(p, 'referral.note', referralFacts(r))

/** The filter a referral list applies for this person: the same rule as canSeeReferral, as columns. */
export function referralListScope(p: Principal): { mairieOrganisationId?: string; holderOrganisationId?: string } {
  switch (reachOf(p.role, 'referral.read')) {
    case 'tenant': return {}
    case 'own_mairie': return { mairieOrganisationId: p.organisationId }
    default: return { holderOrganisationId: p.organisationId }
  }
}

/** Who may take each action on a referral (the state machine checks the status). */
export const referralActionSubjects = (action: ReferralAction): Subject[] => subjectsOf(`referral.${action}`)

// ---------------------------------------------------------------- people

export interface PersonFacts { id?: string; organisationId: string; role: PersonRole }

/**
 * Which people a person may list: all of the tenant, those of her own organisation, or none. `requested` is the
 * organisation asked for in the filter, if any.
 */
export function peopleListScope(p: Principal, requested?: string): { organisationId?: string } | 'forbidden' {
  switch (reachOf(p.role, 'people.read')) {
    case 'tenant': return requested ? { organisationId: requested } : {}
    case 'own_organisation':
      if (requested && requested !== p.organisationId) return 'forbidden'
      return { organisationId: p.organisationId }
    default: return 'forbidden'
  }
}

/**
 * Why the person may not manage this person (null when she may): `current` is the person as stored (absent for a
 * creation), `next` the person as it would be after the change. An org admin manages her organisation's people,
 * never a network admin, and cannot move one elsewhere nor make one a network admin.
 */
export function personRefusal(p: Principal, current: PersonFacts | undefined, next?: PersonFacts): string | null {
  const reach = reachOf(p.role, 'people.manage')
  if (reach === 'tenant') return null
  if (reach !== 'own_organisation') return ACCESS['people.manage'].refusal
  if (current && !reaches(p, 'people.manage', current)) return 'Vous ne pouvez gérer que les personnes de votre organisation.'
  if (current?.role === 'network_admin') return 'Seule la mission TIC peut modifier un administrateur du réseau.'
  if (next && !reaches(p, 'people.manage', next)) return 'Vous ne pouvez rattacher une personne qu’à votre organisation.'
  if (next?.role === 'network_admin') return 'Seule la mission TIC peut nommer un administrateur du réseau.'
  return null
}

/** Why the person may not read this person's record (null when she may): herself always, others as she manages them. */
export function personReadRefusal(p: Principal, person: PersonFacts & { id: string }): string | null {
  return person.id === p.personId ? null : personRefusal(p, person)
}

// ---------------------------------------------------------------- themes

/** An inactive theme is hidden from those who only reach active ones. */
export const canSeeTheme = (p: Principal, theme: { active: boolean }): boolean => reaches(p, 'theme.read', { active: theme.active })
/** The active-filter a theme list must apply: undefined lets the caller choose. */
export const themeListActive = (p: Principal, requested?: boolean): boolean | undefined => (reachOf(p.role, 'theme.read') === 'tenant' ? requested : true)

/** May the person print the referral's acknowledgement (issue 18)? Out of reach: 404, like a missing referral. */
export function authorizeAcknowledge(p: Principal, r: ReferralFacts): void {
  authorize(p, 'referral.acknowledge', referralFacts(r), 'Cette saisine')
}

/** May the person forward the referral's answer to the citizen (issue 18)? Out of reach: 404, like a missing referral. */
export function authorizeForwardAnswer(p: Principal, r: ReferralFacts): void {
  authorize(p, 'referral.forward_answer', referralFacts(r), 'Cette saisine')
}
