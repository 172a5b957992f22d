// Replies by email (issue 15): a mail to a reply address acts exactly as its person would on the referral's page
// (same use case, same access table, same state machine), or is refused in French, saying why.
import { ATTACHMENTS_PER_REQUEST, authorizeRole, canSeeReferral, DomainError, TooLarge, Unprocessable, UnsupportedType, type ReferralAction } from '@relais/core'
import { crossTenant, withTenant, type DB } from '@relais/db'
import { outboxForReply, personForReply, recordInbound, replyTenant, setInboundOutcome } from '@relais/db/repositories/inbound'
import { lockReferral } from '@relais/db/repositories/referrals'
import { replyText, robotReason, type InboundMail } from '@relais/mail/inbound'
import { failureConsequences } from './delivery.ts'
import { enqueueMail } from './outbox.ts'
import { act, type Principal } from './service.ts'
import { appendEvent } from './timeline.ts'
import { claimAttachments, linkClaimed, storeAttachments } from './attachments.ts'
import { parseReplyAddress } from './reply-address.ts'

/** A reply address stops working this long after its mail was sent. */
export const REPLY_ADDRESS_DAYS = 180
/** The original kept on the timeline, at most (a reply with a long history is cut, the reply itself is above it). */
const ORIGINAL_MAX = 20_000

/** The SMTP answer: 250 taken (acted, ignored or answered by a refusal mail), 5xx refused at once. */
export interface InboundOutcome { code: number; message: string; outcome: 'answer' | 'provide_info' | 'message' | 'bounce' | 'refused' | 'ignored' | 'replay' | 'rejected' }

export interface InboundDeps { db: DB; key: Buffer; domain: string; now: () => Date }

const reject = (code: number, message: string): InboundOutcome => ({ code, message, outcome: 'rejected' })

/** Whether an envelope recipient is one of our reply addresses (checked at RCPT TO, before the mail's content). */
export function isReplyAddress(deps: Pick<InboundDeps, 'key' | 'domain'>, address: string): boolean {
  return parseReplyAddress(deps.key, address, deps.domain) !== null
}

export const UNKNOWN_ADDRESS = 'Adresse de réponse inconnue ou expirée : ce courriel n’a pas été enregistré. Répondez depuis Relais (connexion requise).'

export async function receiveReply(deps: InboundDeps, to: string, mail: InboundMail): Promise<InboundOutcome> {
  const outboxId = parseReplyAddress(deps.key, to, deps.domain)
  if (!outboxId) return reject(550, UNKNOWN_ADDRESS)
  const tenantId = await replyTenant(crossTenant(deps.db), outboxId)
  if (!tenantId) return reject(550, UNKNOWN_ADDRESS)
  const now = deps.now()
  return withTenant(deps.db, { tenantId }, async (trx) => {
    const sent = await outboxForReply(trx, tenantId, outboxId)
    if (!sent?.referral_id || !sent.recipient_person_id) return reject(550, UNKNOWN_ADDRESS)
    const person = await personForReply(trx, tenantId, sent.recipient_person_id)
    const expired = now.getTime() - sent.created_at.getTime() > REPLY_ADDRESS_DAYS * 86_400_000
    if (!person || !person.active || expired) return reject(550, UNKNOWN_ADDRESS)
    const record = (outcome: InboundOutcome['outcome'] & ('answer' | 'provide_info' | 'message' | 'bounce' | 'refused' | 'ignored')) =>
      recordInbound(trx, { tenant_id: tenantId, message_id: mail.messageId.slice(0, 998), outbox_id: outboxId, referral_id: sent.referral_id!, person_id: person.id, received_at: now, outcome })

    // A delivery status notification comes back to the envelope sender, which is the reply address: a bounce.
    if (mail.dsn) {
      if (!await record('bounce')) return { code: 250, message: 'Déjà reçu.', outcome: 'replay' }
      if (mail.dsn.permanent) {
        await failureConsequences(trx, sent, now, Number(mail.dsn.status.replace(/\D/g, '').slice(0, 3)) || null, `${mail.dsn.status} ${mail.dsn.diagnostic}`.trim(), { permanent: true })
      }
      return { code: 250, message: 'Avis de non-remise enregistré.', outcome: 'bounce' }
    }
    // A robot (out-of-office, list, auto-reply) never acts and is never answered: no loop with another robot.
    if (robotReason(mail)) {
      if (!await record('ignored')) return { code: 250, message: 'Déjà reçu.', outcome: 'replay' }
      return { code: 250, message: 'Réponse automatique ignorée.', outcome: 'ignored' }
    }
    // Someone else writing into this person's address (Zammad's flaw): refused at once, nothing recorded.
    if (mail.from !== person.email.toLowerCase()) {
      return reject(550, `Cette adresse de réponse est personnelle : seul son destinataire peut y écrire depuis son adresse (${maskEmail(person.email)}). Ce courriel n’a pas été enregistré.`)
    }
    if (!await record('message')) return { code: 250, message: 'Déjà reçu : ce courriel a déjà été enregistré.', outcome: 'replay' }
    const r = await lockReferral(trx, tenantId, sent.referral_id)
    const p: Principal = { personId: person.id, tenantId, organisationId: person.organisation_id, role: person.role }
    const refuse = async (reason: string): Promise<InboundOutcome> => {
      await setInboundOutcome(trx, tenantId, mail.messageId.slice(0, 998), 'refused')
      await enqueueMail(trx, {
        tenantId, referralId: sent.referral_id, kind: 'reply_outcome', recipients: [{ personId: person.id, email: person.email }], now,
        payload: { recorded: false, sentence: `Votre courriel sur la saisine ${r?.reference ?? ''} n’a pas été enregistré.`, reason, inReplyTo: mail.messageId },
      })
      return { code: 250, message: 'Refusé : un courriel explique pourquoi.', outcome: 'refused' }
    }
    if (!r || !canSeeReferral(p, r)) return refuse('Vous ne voyez plus cette saisine (elle a été transférée ou vous avez changé d’organisme).')
    if (r.status === 'closed') return refuse('La saisine est clôturée. Pour la rouvrir ou ajouter quelque chose, passez par Relais.')
    if (r.status === 'cancelled') return refuse('La saisine a été annulée : vous n’avez plus à la traiter.')
    const body = replyText(mail.text)
    if (!body) return refuse('Le courriel ne contient aucun texte.')

    // What the person would do on the page: the holder's side answers; the mairie brings the complement asked for.
    const holderSide = p.organisationId === r.holder_organisation_id && ['referent', 'org_admin', 'network_admin'].includes(p.role)
    const mairieSide = p.organisationId === r.mairie_organisation_id && p.role === 'secretary'
    const action: ReferralAction | null = holderSide && ['assigned', 'awaiting_info', 'answered', 'appointment_proposed'].includes(r.status) ? 'answer'
      : mairieSide && r.status === 'awaiting_info' ? 'provide_info' : null
    // The files attached (issue 15): each kept on the referral within the same limits as on the pages (type sniffed,
    // 10 Mo each, 30 Mo per referral), or named with its reason in the confirmation. Never dropped silently.
    const kept: string[] = []
    const refused: { name: string; reason: string }[] = []
    for (const [i, f] of mail.files.entries()) {
      if (i >= ATTACHMENTS_PER_REQUEST) { refused.push({ name: f.name, reason: `au-delà de ${ATTACHMENTS_PER_REQUEST} fichiers` }); continue }
      try {
        const [stored] = await storeAttachments(trx, p, { referralId: r.id }, [{ name: f.name, content: f.content }], now, 'mail')
        kept.push(stored!.id)
      } catch (err) {
        if (!(err instanceof TooLarge || err instanceof UnsupportedType || err instanceof Unprocessable)) throw err
        refused.push({ name: f.name, reason: err instanceof UnsupportedType ? 'type non accepté' : err.code === 'attachment_empty' ? 'fichier vide' : err.code === 'attachments_total_too_large' ? 'la saisine atteint 30 Mo de pièces jointes' : 'plus de 10 Mo' })
      }
    }
    if (action) {
      try {
        authorizeRole(p, `referral.${action}`)
        await act(trx, p, r.id, action, { body, attachmentIds: kept }, now)
      } catch (err) {
        if (err instanceof DomainError) return refuse(err.message)
        throw err
      }
      await setInboundOutcome(trx, tenantId, mail.messageId.slice(0, 998), action)
    }
    // Without an action the files come with the message itself.
    const withMessage = action ? null : await claimAttachments(trx, p, r.id, kept, now)
    // The original stays on the timeline, whatever it did; without an action, it is the message itself.
    const received = await appendEvent(trx, tenantId, r.id, 'mail_received', { personId: p.personId, organisationId: p.organisationId }, now, {
      body, subject: mail.subject.slice(0, 500), from: mail.from, messageId: mail.messageId, action: action ?? 'message', original: mail.text.slice(0, ORIGINAL_MAX),
      ...(withMessage?.data.length ? { attachments: withMessage.data } : {}),
      ...(refused.length ? { attachmentsRefused: refused.slice(0, 20) } : {}),
    })
    if (withMessage) await linkClaimed(trx, tenantId, withMessage, r.id, received.seq)
    const sentence = action === 'answer' ? `Votre réponse à la saisine ${r.reference} a été enregistrée.`
      : action === 'provide_info' ? `Votre complément à la saisine ${r.reference} a été enregistré : le référent en est averti.`
        : `Votre message a été ajouté à la chronologie de la saisine ${r.reference}.`
    // What became of each file: kept (counted), or refused with its reason.
    const reasons = [
      kept.length ? `${kept.length === 1 ? 'La pièce jointe a été ajoutée' : `Les ${kept.length} pièces jointes ont été ajoutées`} à la saisine (consultables dans Relais).` : '',
      refused.length ? `${refused.length === 1 ? 'Cette pièce jointe n’a pas été reprise' : 'Ces pièces jointes n’ont pas été reprises'} : ${refused.slice(0, 10).map((x) => `« ${x.name} » (${x.reason})`).join(', ')}${refused.length > 10 ? '…' : ''}. Pièces acceptées : PDF, images, documents Word, Excel ou OpenDocument, 10 Mo au plus chacune et 30 Mo par saisine ; déposez-les dans Relais si besoin.` : '',
    ].filter(Boolean)
    const reason = reasons.length ? reasons.join(' ') : undefined
    await enqueueMail(trx, { tenantId, referralId: r.id, kind: 'reply_outcome', recipients: [{ personId: person.id, email: person.email }], now, payload: { recorded: true, sentence, reason, inReplyTo: mail.messageId } })
    return { code: 250, message: 'Enregistré.', outcome: action ?? 'message' }
  })
}

/** « n•••@caf36.demo »: says which address is expected without giving it to whoever forged the mail. */
function maskEmail(email: string): string {
  const [local, domain] = email.split('@')
  return `${local!.slice(0, 1)}•••@${domain}`
}

