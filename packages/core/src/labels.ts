/**
 * French labels of the domain's lists, one definition each, for the pages (and whatever else shows them).
 * Referral statuses and actions are labelled next to their state machine (referral.ts).
 */
import type { ClockMode, EscalationTarget } from './sla.ts'
import type { DirectoryRole, OrganisationKind, OrganisationStatus, TerritoryKindCode } from './directory.ts'

export const ROLE_LABELS: Record<DirectoryRole, string> = {
  secretary: 'Secrétariat de mairie', referent: 'Référent', org_admin: 'Administration de l’organisme', network_admin: 'Mission TIC',
}

export const CHANNELS = ['email', 'phone', 'post', 'counter'] as const
export type Channel = (typeof CHANNELS)[number]
/** The citizen's preferred channel, as a choice ("Courriel") and as a phrase ("Préfère être contacté : par courriel"). */
export const CHANNEL_LABELS: Record<Channel, string> = { email: 'Courriel', phone: 'Téléphone', post: 'Courrier', counter: 'Au guichet de la mairie' }
export const CHANNEL_PHRASES: Record<Channel, string> = { email: 'par courriel', phone: 'par téléphone', post: 'par courrier', counter: 'à l’accueil de la mairie' }

export const ORGANISATION_KIND_LABELS: Record<OrganisationKind, string> = {
  mairie: 'Mairie', partner: 'Organisme partenaire', msap: 'France services', mission_tic: 'Mission TIC',
}
export const ORGANISATION_STATUS_LABELS: Record<OrganisationStatus, string> = { onboarding: 'en préparation', active: 'active', suspended: 'suspendue' }

export const TERRITORY_KIND_LABELS: Record<TerritoryKindCode, string> = { commune: 'Commune', epci: 'Intercommunalité', departement: 'Département' }

export const CLOCK_MODE_LABELS: Record<ClockMode, string> = { calendar: 'heures calendaires', working_days: 'jours ouvrés', business_hours: 'heures ouvrées' }
export const ESCALATION_TARGET_LABELS: Record<EscalationTarget, string> = { org_admins: 'administrateurs de l’organisme', backup: 'suppléant', mission_tic: 'mission TIC' }

/** A label from one of these tables, or the code itself when a value from the database is not (yet) in the table. */
export const labelOf = <K extends string>(labels: Record<K, string>, code: string): string => (labels as Record<string, string>)[code] ?? code
