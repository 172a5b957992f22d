// A referent turns an answer into a fiche draft: the question and the answer, without the citizen's name, email and
// phone; the draft warns its writers to check it for other personal details before publishing.
import { authorize, conflict, notFound } from '@relais/core'
import { FROM_ANSWER_WARNING, redactCitizen, titleFromQuestion } from '@relais/core/knowledge'
import type { TenantTx } from '@relais/db'
import { getReferral } from '@relais/referrals/queries'
import { createFiche, type FicheView, type Principal } from './fiches.ts'

/** Plain text as Markdown paragraphs: each line of the answer stays a line. */
const asParagraphs = (text: string) => text.replace(/\r\n?/g, '\n').split(/\n+/).map((l) => l.trim()).filter(Boolean).join('\n\n')

export interface DraftFromAnswer { fiche: FicheView; removed: number; warning: string }

/** The referral must be visible to the writer (404 otherwise); `answerSeq` picks one answer, the latest by default. */
export async function draftFicheFromAnswer(trx: TenantTx, p: Principal, referralId: string, opts: { answerSeq?: number }, now: Date): Promise<DraftFromAnswer> {
  const r = await getReferral(trx, p, referralId)
  authorize(p, 'fiche.from_answer', { mairieOrganisationId: r.mairie.id, holderOrganisationId: r.holder.organisation.id })
  const answer = opts.answerSeq === undefined ? r.answers.at(-1) : r.answers.find((a) => a.seq === opts.answerSeq)
  if (!answer) {
    if (opts.answerSeq !== undefined) throw notFound('Cette réponse')
    throw conflict('no_answer', 'Cette saisine n’a pas encore de réponse écrite : il n’y a rien à reprendre dans une fiche.')
  }
  const citizen = { name: r.citizen.name, email: r.citizen.email, phone: r.citizen.phone }
  const question = redactCitizen(r.question, citizen)
  const body = redactCitizen(answer.body, citizen)
  const markdown = `**Question**\n\n${asParagraphs(question.text)}\n\n**Réponse**\n\n${asParagraphs(body.text)}`.slice(0, 50000)
  const fiche = await createFiche(trx, p, { title: titleFromQuestion(question.text), body: markdown, themeCodes: [r.theme.code] }, now, { fromAnswer: true })
  return { fiche, removed: question.removed + body.removed, warning: FROM_ANSWER_WARNING }
}
