import type { ColumnType, Generated } from 'kysely'

type Timestamp = ColumnType<Date, Date | string, Date | string>
type CreatedAt = ColumnType<Date, Date | string | undefined, never>

export type OrganisationKind = 'mairie' | 'partner' | 'msap' | 'mission_tic'
export type OrganisationStatus = 'onboarding' | 'active' | 'suspended'
export type Role = 'secretary' | 'referent' | 'org_admin' | 'network_admin'
export type TerritoryKind = 'commune' | 'epci' | 'departement'

export interface TenantTable {
  id: Generated<string>
  code: string
  name: string
  time_zone: Generated<string>
  created_at: CreatedAt
}

export interface CommuneTable {
  insee: string
  name: string
  departement: string
  epci_code: string | null
  epci_name: string | null
  /** current; merged (into merged_into); removed from the official list without a successor. Kept either way. */
  status: Generated<'current' | 'merged' | 'removed'>
  merged_into: string | null
}

/** Old INSEE codes (of merged communes) → the commune that carries them now. */
export interface CommuneFormerCodeTable {
  code: string
  commune_insee: string
}

export interface OrganisationTable {
  id: Generated<string>
  tenant_id: string
  kind: OrganisationKind
  name: string
  short_name: string | null
  commune_insee: string | null
  email: string | null
  address: string | null
  /** Shown to citizens on the acknowledgement (migration 0090). */
  phone: ColumnType<string | null, string | null | undefined, string | null>
  opening_hours: ColumnType<unknown, string | null, string | null> | null
  status: Generated<OrganisationStatus>
  created_at: CreatedAt
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>
}

export interface PersonTable {
  id: Generated<string>
  tenant_id: string
  organisation_id: string
  email: string
  name: string
  role: Role
  active: Generated<boolean>
  password_hash: string | null
  absent_from: Timestamp | null
  absent_until: Timestamp | null
  backup_person_id: string | null
  email_bounced_at: Timestamp | null
  sessions_revoked_at: Timestamp | null
  created_at: CreatedAt
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>
}

export interface ThemeTable {
  id: Generated<string>
  tenant_id: string
  code: string
  label: string
  sla_response_minutes: number | null
  active: Generated<boolean>
  created_at: CreatedAt
}

export interface RoutingRuleTable {
  id: Generated<string>
  tenant_id: string
  theme_id: string
  territory_kind: TerritoryKind
  territory_code: string
  organisation_id: string
  person_id: string | null
  active: Generated<boolean>
  created_at: CreatedAt
}

export interface CoverageTable {
  id: Generated<string>
  tenant_id: string
  organisation_id: string
  person_id: string | null
  theme_id: string
  territory_kind: TerritoryKind
  territory_code: string
  active: Generated<boolean>
  created_at: CreatedAt
}

export interface RefreshSessionTable {
  id: Generated<string>
  tenant_id: string
  person_id: string
  family_id: string
  token_hash: string
  created_at: CreatedAt
  expires_at: Timestamp
  revoked_at: Timestamp | null
  replaced_by: string | null
}

export type ReferralStatus = 'submitted' | 'assigned' | 'awaiting_info' | 'answered' | 'appointment_proposed' | 'closed' | 'cancelled'
export type ClockModeColumn = 'calendar' | 'working_days' | 'business_hours'

export interface SlaPolicyTable {
  id: Generated<string>
  tenant_id: string
  theme_id: string | null
  response_minutes: number
  clock_mode: ClockModeColumn
  reminder_before_minutes: number
  escalations: ColumnType<unknown, string, string>
  opening_hours: ColumnType<unknown, string | null, string | null> | null
  info_reminder_days: Generated<number>
  info_close_days: Generated<number>
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>
}

/** A policy change's recomputation of running clocks, walked in id order by the worker (migration 0032). */
export interface SlaRecomputeTable {
  id: Generated<string>
  tenant_id: string
  theme_id: string | null
  requested_at: Timestamp
  after_id: string | null
  done_count: Generated<number>
  done_at: Timestamp | null
}

export interface ReferralTable {
  id: Generated<string>
  tenant_id: string
  reference: string
  mairie_organisation_id: string
  filed_by_person_id: string
  theme_id: string
  commune_insee: string
  question: string
  citizen_name: string
  citizen_email: string | null
  citizen_phone: string | null
  citizen_preferred_channel: 'email' | 'phone' | 'post' | 'counter'
  internal_note: string | null
  status: ReferralStatus
  holder_organisation_id: string
  holder_person_id: string | null
  filed_at: Timestamp
  clock_started_at: Timestamp
  due_at: Timestamp | null
  next_step: string | null
  next_step_at: Timestamp | null
  /** Until when a worker's SLA sweep holds the due step (sla_claim). */
  sla_claimed_until: ColumnType<Date | null, Date | null | undefined, Date | null>
  sla_met_at: Timestamp | null
  sla_minutes_taken: number | null
  sla_minutes_vs_target: number | null
  closed_at: Timestamp | null
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>
  /** SHA-256 of the referral's id and its tracking code (migration 0090); null for referrals filed before. */
  tracking_code_hash: ColumnType<string | null, string | null | undefined, string | null>
  /** Kept by a trigger on the timeline (migration 0110), for the statistics: read only. */
  stats_transfers: ColumnType<number, never, never>
  stats_info_requests: ColumnType<number, never, never>
  stats_escalation_level: ColumnType<number, never, never>
  sla_met_by: ColumnType<'answered' | 'appointment_proposed' | null, never, never>
  stats_appointments_held: ColumnType<number, never, never>
  stats_no_shows: ColumnType<number, never, never>
  stats_citizen_cancellations: ColumnType<number, never, never>
  /** When the retention job erased the citizen's data (migration 0091). */
  anonymised_at: ColumnType<Date | null, Date | null | undefined, Date | null>
  /** When it was cancelled (migration 0093): the retention counts from it. */
  cancelled_at: ColumnType<Date | null, Date | null | undefined, Date | null>
}

export interface ReferralEventTable {
  id: Generated<string>
  tenant_id: string
  referral_id: string
  seq: number
  at: Timestamp
  actor_person_id: string | null
  actor_organisation_id: string | null
  kind: string
  data: ColumnType<Record<string, unknown>, string, never>
  prev_hash: string
  hash: string
  /** The timeline key that sealed this event (HMAC); null before migration 0013 (plain SHA-256). */
  key_id: ColumnType<string | null, string | null | undefined, never>
  /** 'c1': free texts and addresses hashed as keyed commitments, erasable (migration 0091); null: plain. */
  sealed: ColumnType<'c1' | null, 'c1' | null | undefined, never>
}

export interface OutboxTable {
  id: Generated<string>
  tenant_id: string
  referral_id: string | null
  kind: string
  recipient_person_id: string | null
  recipient_email: string
  payload: ColumnType<Record<string, unknown>, string, string>
  created_at: Timestamp
  relayed_at: Timestamp | null
  claimed_until: Timestamp | null
  attempts: Generated<number>
  next_attempt_at: Timestamp
  last_error: string | null
  sent_at: Timestamp | null
  failed_at: Timestamp | null
  message_id: string
  /** The sender's claim: its retry or failure lands only while it still holds it. */
  claim_id: string | null
  /** Not sent because it no longer applied (a reminder for a referral answered meanwhile). */
  cancelled_at: Timestamp | null
  /** The mission TIC sent a failed mail again: its retry window starts here. */
  resent_at: Timestamp | null
  /** Sent, its "mail_sent" event not yet on the referral's timeline (the worker appends them in batches, migration 0033). */
  timeline_pending: Generated<boolean>
}

/** A tenant's chain heads as published on a day: append-only (migration 0015). */
/** One change to the directory or the SLA policy: append-only (migration 0040). */
export interface AuditLogTable {
  id: Generated<string>
  tenant_id: string
  at: ColumnType<Date, never, never>
  actor_person_id: ColumnType<string | null, string | null, never>
  entity: ColumnType<AuditEntity, AuditEntity, never>
  entity_id: ColumnType<string | null, string | null, never>
  action: ColumnType<AuditAction, AuditAction, never>
  label: ColumnType<string, string, never>
  before: ColumnType<Record<string, unknown> | null, string | null, never>
  after: ColumnType<Record<string, unknown> | null, string | null, never>
}
/** One display of a referral's citizen data (issue 18, migration 0092): append-only. */
export interface ReferralAccessTable {
  id: Generated<string>
  tenant_id: string
  referral_id: string
  person_id: string
  at: Date
  via: AccessVia
}
export type AccessVia = 'page' | 'api' | 'print' | 'export' | 'download'
export type AuditEntity = 'person' | 'organisation' | 'theme' | 'routing_rule' | 'coverage' | 'sla_policy' | 'privacy_settings' | 'privacy_subject'
/** A mail the inbound server took (issue 15): once per Message-ID and tenant. */
export interface InboundMailTable {
  id: Generated<string>
  tenant_id: string
  message_id: string
  outbox_id: string
  referral_id: string
  person_id: string
  received_at: Timestamp
  outcome: 'answer' | 'provide_info' | 'message' | 'bounce' | 'refused' | 'ignored'
}

export type AuditAction = 'create' | 'update' | 'deactivate' | 'import' | 'find' | 'export' | 'erase'

export interface ChainHeadDigestTable {
  id: Generated<string>
  tenant_id: string
  day: ColumnType<string, string, never>
  published_at: ColumnType<Date, Date, never>
  referrals: ColumnType<number, number, never>
  /** [referral id, last seq, last hash] of every referral, in referral id order: what the digest covers. */
  heads: ColumnType<[string, number, string][], string, never>
  digest: ColumnType<string, string, never>
  key_id: ColumnType<string, string, never>
  signature: ColumnType<string, string, never>
}

export type FicheStatusColumn = 'draft' | 'published' | 'archived'

export interface FicheTable {
  id: Generated<string>
  tenant_id: string
  organisation_id: string
  status: Generated<FicheStatusColumn>
  title: string
  body: string
  territory_kind: Generated<TerritoryKind>
  territory_codes: ColumnType<string[], string[] | undefined, string[]>
  /** A calendar date, read as YYYY-MM-DD (see the date type parser in the repository). */
  review_by: ColumnType<string, string, string>
  review_reminded_at: Timestamp | null
  /** Drafted from a referral's answer (which one is not kept): its writers are warned to check it before publishing. */
  drafted_from_answer_at: ColumnType<Date | null, Date | null | undefined, Date | null>
  created_by_person_id: string | null
  created_at: CreatedAt
  updated_by_person_id: string | null
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>
  version: Generated<number>
  published_title: string | null
  published_text: string | null
  published_at: Timestamp | null
  search: ColumnType<string, never, never>
}

export interface FicheThemeTable { tenant_id: string; fiche_id: string; theme_id: string }

export interface FicheVersionTable {
  tenant_id: string
  fiche_id: string
  version: number
  title: string
  body: string
  theme_codes: string[]
  territory_kind: TerritoryKind
  territory_codes: string[]
  published_by_person_id: string | null
  published_at: Timestamp
}

export interface FicheWordTable { tenant_id: string; word: string }

export interface DeflectionTable {
  id: Generated<string>
  tenant_id: string
  fiche_id: string
  theme_id: string
  commune_insee: string
  mairie_organisation_id: string
  at: Timestamp
}

export interface FicheOpenDayTable { tenant_id: string; fiche_id: string; day: ColumnType<string, string, string>; opens: Generated<number> }

export interface SearchMissTable {
  id: Generated<string>
  tenant_id: string
  theme_id: string | null
  organisation_id: string | null
  at: Timestamp
}

/** Appointments at France services (issue 14, migration 0080). */
export interface PlaceTable {
  id: Generated<string>
  tenant_id: string
  organisation_id: string | null
  name: string
  address: string | null
  phone: string | null
  opening_hours: ColumnType<unknown, string | undefined, string>
  closures: ColumnType<unknown, string | undefined, string>
  communes: ColumnType<string[], string[] | undefined, string[]>
  desks: Generated<number>
  what_to_bring: string | null
  active: Generated<boolean>
  created_at: CreatedAt
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>
}

export interface PermanenceTable {
  id: Generated<string>
  tenant_id: string
  organisation_id: string
  place_id: string
  person_id: string | null
  weekday: number
  start_minute: number
  end_minute: number
  every_weeks: Generated<number>
  valid_from: ColumnType<string, string, string>
  valid_until: ColumnType<string | null, string | null | undefined, string | null>
  slot_minutes: number
  active: Generated<boolean>
  created_at: CreatedAt
}

export type AppointmentStatus = 'booked' | 'cancelled' | 'held' | 'no_show' | 'citizen_cancelled'

export interface AppointmentTable {
  id: Generated<string>
  tenant_id: string
  referral_id: string
  place_id: string
  desk: Generated<number>
  person_id: string
  organisation_id: string
  permanence_id: string | null
  starts_at: Timestamp
  ends_at: Timestamp
  status: Generated<AppointmentStatus>
  sequence: Generated<number>
  note: string | null
  cancel_reason: string | null
  reminded_at: Timestamp | null
  booked_by_person_id: string | null
  created_at: CreatedAt
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>
}

/** Issue 13: an invitation or a forgotten-password link (only its secret's SHA-256 is kept). */
export interface AccountLinkTable {
  id: Generated<string>
  tenant_id: string
  person_id: string
  kind: 'invitation' | 'password_reset'
  token_hash: string
  created_by: string | null
  created_at: CreatedAt
  expires_at: Timestamp
  used_at: Timestamp | null
  cancelled_at: Timestamp | null
}


/** A tenant's rules for citizens' personal data (issue 18, migration 0090); no row: the defaults. */
export interface CitizenPrivacyTable {
  tenant_id: string
  dpo_contact: string
  retention_months: Generated<number>
  referent_mail_contact: Generated<boolean>
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>
}

/** Issue 13: a published convention version (immutable: insert and read only). */
export interface ConventionVersionTable {
  id: Generated<string>
  tenant_id: string
  kind: 'mairie' | 'partner' | 'msap'
  version: number
  title: string
  body: string
  html: string
  sha256: string
  effective_at: Timestamp
  published_by: string | null
  published_at: CreatedAt
}

/** Issue 15: a file attached to a referral (migration 0101); pending while event_seq is null. */
export interface AttachmentTable {
  id: Generated<string>
  tenant_id: string
  referral_id: string | null
  event_seq: number | null
  name: string
  content_type: string
  size: number
  sha256: string
  content: Buffer
  added_by_person_id: string
  added_at: Timestamp
  source: ColumnType<'upload' | 'mail', 'upload' | 'mail' | undefined, never>
  erased_at: Timestamp | null
}

/** Issue 13: a signature of a convention version by an organisation's admin (migration 0072), append-only. */
export interface ConventionSignatureTable {
  id: string
  tenant_id: string
  convention_version_id: string
  organisation_id: string
  person_id: string
  signer_name: string
  capacity: string
  document_sha256: string
  signed_at: Timestamp
  ip: string
  user_agent: string
  receipt_pdf: Buffer
  receipt_sha256: string
}

/** The mission TIC's countersignature of a signature (migration 0072), append-only. */
export interface ConventionCountersignatureTable {
  id: Generated<string>
  tenant_id: string
  signature_id: string
  organisation_id: string
  person_id: string
  countersigned_at: Timestamp
}

export interface Database {
  attachment: AttachmentTable
  convention_signature: ConventionSignatureTable
  convention_countersignature: ConventionCountersignatureTable
  place: PlaceTable
  permanence: PermanenceTable
  appointment: AppointmentTable
  account_link: AccountLinkTable
  citizen_privacy: CitizenPrivacyTable
  convention_version: ConventionVersionTable
  fiche: FicheTable
  fiche_theme: FicheThemeTable
  fiche_version: FicheVersionTable
  fiche_word: FicheWordTable
  deflection: DeflectionTable
  fiche_open_day: FicheOpenDayTable
  search_miss: SearchMissTable
  sla_policy: SlaPolicyTable
  sla_recompute: SlaRecomputeTable
  referral: ReferralTable
  referral_event: ReferralEventTable
  outbox: OutboxTable
  chain_head_digest: ChainHeadDigestTable
  audit_log: AuditLogTable
  referral_access: ReferralAccessTable
  tenant: TenantTable
  commune: CommuneTable
  commune_former_code: CommuneFormerCodeTable
  organisation: OrganisationTable
  person: PersonTable
  theme: ThemeTable
  routing_rule: RoutingRuleTable
  coverage: CoverageTable
  refresh_session: RefreshSessionTable
  inbound_mail: InboundMailTable
}
