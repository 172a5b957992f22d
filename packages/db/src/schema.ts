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
  opening_hours: ColumnType<unknown, string | null, string | null> | null
  status: Generated<OrganisationStatus>
  created_at: CreatedAt
  updated_at: Generated<Timestamp>
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
  updated_at: Generated<Timestamp>
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

export interface Database {
  tenant: TenantTable
  commune: CommuneTable
  organisation: OrganisationTable
  person: PersonTable
  theme: ThemeTable
  routing_rule: RoutingRuleTable
  coverage: CoverageTable
  refresh_session: RefreshSessionTable
}
