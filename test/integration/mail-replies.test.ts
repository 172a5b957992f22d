// Replies by email (issue 15): real SMTP replies (nodemailer to the inbound server) built like Outlook, Gmail and
// Thunderbird French replies, an out-of-office, a DSN, a forged sender and a replayed Message-ID; each checks what the
// referral's timeline and the mails then show.
import t from 'tap'
import pino from 'pino'
import nodemailer from 'nodemailer'
import { startInbound } from '@relais/worker/inbound'
import type { ReceivedMail } from '@relais/mail/sink'
import { bearer, sampleReferral } from '../helpers/journey.ts'
import { startAppWithMail } from '../helpers/network.ts'
import { exeFile, pdfFile } from '../helpers/files.ts'

const { app, sink, db, env, clock } = await startAppWithMail({ mailboxPage: true })
const inbound = await startInbound(env.config, { log: pino({ level: 'silent' }), clock: clock.now, host: '127.0.0.1', port: 0 })
t.teardown(() => inbound.close())
const smtp = nodemailer.createTransport({ host: '127.0.0.1', port: inbound.port, secure: false, ignoreTLS: true })
t.teardown(() => smtp.close())

const tic = await bearer(app, 'tic@indre.demo')
const secretary = await bearer(app, 'secretaire@ardentes.demo')
const referent = await bearer(app, 'referent@caf36.demo')

type Event = { kind: string; data: Record<string, unknown>; actor: { name: string } | null }
const detail = async (id: string) => (await app.inject({ url: `/api/v1/referrals/${id}`, headers: tic })).json() as { status: string; reference: string; timeline: Event[] }
// mail_sent is written just after the sink took the mail: left out so that a comparison does not race with it.
const kinds = async (id: string) => (await detail(id)).timeline.map((e) => e.kind).filter((k) => k !== 'mail_sent')
const fileOne = async () => (await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: secretary, payload: sampleReferral })).json() as { id: string; reference: string }
const mailTo = (to: string, reference: string, kind: string) => sink.waitFor((m) => m.to.includes(to) && m.subject.includes(reference) && m.headers['x-relais-kind'] === kind)
const replyTo = (m: ReceivedMail) => /r\+[0-9]+\.[0-9a-f]+@reponses\.relais\.local/.exec(m.headers['reply-to'] ?? '')![0]
const outcomes = async (referralId: string) => Number((await db.query(`select count(*) from outbox where referral_id = $1 and kind = 'reply_outcome'`, [referralId])).rows[0].count)
let n = 0
const msgId = () => `<reponse-${++n}-${process.pid}@client.example>`

const first = await fileOne()
const toReferent = await mailTo('referent@caf36.demo', first.reference, 'referral_new')

t.test('every referral mail to a person carries her reply address; other mails none', async (t) => {
  t.match(toReferent.headers['reply-to'], /^r\+[0-9]+\.[0-9a-f]{24}@reponses\.relais\.local$/)
  const second = await fileOne()
  const other = await mailTo('referent@caf36.demo', second.reference, 'referral_new')
  t.not(replyTo(other), replyTo(toReferent), 'one address per mail: per person and per referral')
})

t.test('Gmail reply in French: the answer is recorded, the secretary mailed, the referent told', async (t) => {
  const messageId = msgId()
  const text = `Bonjour,\n\nMadame Durand peut bénéficier de l’ASF dès le mois suivant la séparation : qu’elle envoie le formulaire cerfa 12045.\n\nCordialement,\nNathalie Roux\nCAF de l’Indre\n\nLe mar. 24 nov. 2026 à 10:00, Relais <ne-pas-repondre@relais.local> a écrit :\n> Bonjour Nathalie Roux,\n>\n> ${toReferent.text.split('\n').slice(0, 3).join('\n> ')}\n`
  const info = await smtp.sendMail({ from: 'Nathalie Roux <referent@caf36.demo>', to: replyTo(toReferent), subject: `Re: ${toReferent.subject}`, text, messageId, inReplyTo: toReferent.messageId })
  t.match(info.response, /^250/)
  const d = await detail(first.id)
  t.equal(d.status, 'answered')
  const answered = d.timeline.find((e) => e.kind === 'answered')!
  t.equal(answered.data.body, 'Bonjour,\n\nMadame Durand peut bénéficier de l’ASF dès le mois suivant la séparation : qu’elle envoie le formulaire cerfa 12045.', 'the quote and the signature are gone')
  t.equal(answered.actor?.name, 'Nathalie Roux', 'acted as the referent herself')
  const received = d.timeline.find((e) => e.kind === 'mail_received')!
  t.equal(received.data.action, 'answer')
  t.match(String(received.data.original), 'a écrit :', 'the original, history included, is kept on the timeline')
  t.equal(received.data.messageId, messageId)

  const toSecretary = await mailTo('secretaire@ardentes.demo', first.reference, 'answer_received')
  t.match(toSecretary.text, 'cerfa 12045')
  t.notMatch(toSecretary.text, 'a écrit :')
  const confirmation = await mailTo('referent@caf36.demo', first.reference, 'reply_outcome')
  t.match(confirmation.text, `Votre réponse à la saisine ${first.reference} a été enregistrée.`)
  t.equal(confirmation.headers['auto-submitted'], 'auto-replied', 'our answer says it is automatic (RFC 3834)')
  t.equal(confirmation.headers['in-reply-to'], messageId, 'threaded under the reply')
  t.notOk(confirmation.headers['reply-to'], 'no reply address on our own answer: no loop')

  t.test('the same Message-ID again does nothing twice', async (t) => {
    const again = await smtp.sendMail({ from: 'referent@caf36.demo', to: replyTo(toReferent), subject: 'Re: saisine', text, messageId })
    t.match(again.response, /^250/)
    const after = await detail(first.id)
    t.equal(after.timeline.filter((e) => e.kind === 'answered').length, 1, 'one answer')
    t.equal(after.timeline.filter((e) => e.kind === 'mail_received').length, 1, 'one mail kept')
    t.equal(await outcomes(first.id), 1, 'one confirmation')
  })

  t.test('the secretary’s « merci » to the answer mail is a message on the timeline, nothing else', async (t) => {
    await smtp.sendMail({ from: 'secretaire@ardentes.demo', to: replyTo(toSecretary), subject: `RE: ${toSecretary.subject}`, text: 'Merci beaucoup, je transmets à Mme Durand.\n\nSophie Bernard\nMairie d’Ardentes', messageId: msgId() })
    const after = await detail(first.id)
    t.equal(after.status, 'answered', 'status unchanged')
    const last = after.timeline.filter((e) => e.kind === 'mail_received').pop()!
    t.equal(last.data.action, 'message')
    t.match(String(last.data.body), 'Merci beaucoup, je transmets à Mme Durand.')
    const note = await sink.waitFor((m) => m.to.includes('secretaire@ardentes.demo') && m.headers['x-relais-kind'] === 'reply_outcome')
    t.match(note.text, 'ajouté à la chronologie')
  })
})

t.test('Outlook reply of the secretary while information is awaited: the complement; Thunderbird HTML-only answer after it', async (t) => {
  const r = await fileOne()
  await mailTo('referent@caf36.demo', r.reference, 'referral_new')
  t.equal((await app.inject({ method: 'POST', url: `/api/v1/referrals/${r.id}/request-info`, headers: referent, payload: { body: 'Quel est le numéro d’allocataire ?' } })).statusCode, 200)
  const asked = await mailTo('secretaire@ardentes.demo', r.reference, 'info_requested')
  const outlook = `Le numéro d’allocataire est 1234567.\n\nSophie Bernard\nSecrétaire de mairie\n\nDe : Relais <ne-pas-repondre@relais.local>\nEnvoyé : mardi 24 novembre 2026 10:05\nÀ : Sophie Bernard <secretaire@ardentes.demo>\nObjet : ${asked.subject}\n\n${asked.text}`
  await smtp.sendMail({ from: '"Bernard Sophie" <Secretaire@Ardentes.demo>', to: replyTo(asked), subject: `RE : ${asked.subject}`, text: outlook, messageId: msgId() })
  let d = await detail(r.id)
  t.equal(d.status, 'assigned', 'the clock runs again')
  const provided = d.timeline.find((e) => e.kind === 'info_provided')!
  t.match(String(provided.data.body), /^Le numéro d’allocataire est 1234567\./)
  t.notMatch(String(provided.data.body), 'Envoyé :', 'the Outlook history is gone')
  const told = await mailTo('referent@caf36.demo', r.reference, 'info_provided')
  t.match(told.text, '1234567')

  // Thunderbird, HTML only: the quote is a <blockquote type="cite"> under « Le … a écrit : ».
  const html = `<html><body><p>Merci, le dossier est complet : le versement interviendra le 5 décembre.</p><div class="moz-signature">-- <br>Nathalie Roux</div>` +
    `<div class="moz-cite-prefix">Le 24/11/2026 à 10:06, Relais a écrit&nbsp;:<br></div><blockquote type="cite">${told.html.replace(/<\/?(html|body|head)[^>]*>/g, '')}</blockquote></body></html>`
  await smtp.sendMail({ from: 'referent@caf36.demo', to: replyTo(told), subject: `Re: ${told.subject}`, html, messageId: msgId() })
  d = await detail(r.id)
  t.equal(d.status, 'answered')
  const answered = d.timeline.find((e) => e.kind === 'answered')!
  t.match(String(answered.data.body), /^Merci, le dossier est complet : le versement interviendra le 5 décembre\.$/)
  await mailTo('secretaire@ardentes.demo', r.reference, 'answer_received')
})

t.test('the local mailbox of npm start answers a mail through the inbound server', async (t) => {
  const r = await fileOne()
  const mail = await mailTo('referent@caf36.demo', r.reference, 'referral_new')
  const page = `http://127.0.0.1:${(await sink.start()).httpPort}`
  t.equal((await (await fetch(`${page}/messages/${mail.id}`)).text()).includes('Envoyer la réponse'), false, 'no form without the inbound server')
  sink.replyRelay = `smtp://127.0.0.1:${inbound.port}`
  const html = await (await fetch(`${page}/messages/${mail.id}`)).text()
  t.match(html, '<label for="texte">Votre réponse</label>')
  t.match(html, `la réponse part à ${replyTo(mail)}`)
  const posted = await fetch(`${page}/messages/${mail.id}/repondre`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ texte: 'Réponse depuis la boîte locale : dossier reçu, versement le 5.' }) })
  t.equal(posted.status, 303)
  t.match(await (await fetch(`${page}${posted.headers.get('location')}`)).text(), 'Réponse envoyée à Relais')
  const answered = (await detail(r.id)).timeline.find((e) => e.kind === 'answered')!
  t.equal(answered.data.body, 'Réponse depuis la boîte locale : dossier reçu, versement le 5.', 'the quoted original below is left out')
  await mailTo('referent@caf36.demo', r.reference, 'reply_outcome')

  // An empty reply is not sent; the page says why, in French.
  t.equal((await fetch(`${page}/messages/${mail.id}/repondre`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'texte=' })).status, 303)
  t.match(await (await fetch(`${page}/messages/${mail.id}`)).text(), 'Écrivez votre réponse avant de l’envoyer.')
  sink.replyRelay = undefined
})

t.test('a reply with attachments: the PDF is kept on the timeline within the limits, the refused file is named in the confirmation', async (t) => {
  const r = await fileOne()
  const mail = await mailTo('referent@caf36.demo', r.reference, 'referral_new')
  const pdf = await pdfFile('Notification de la CAF')
  await smtp.sendMail({
    from: 'referent@caf36.demo', to: replyTo(mail), subject: `Re: ${mail.subject}`, messageId: msgId(),
    text: 'Voici la notification de la CAF en pièce jointe.',
    attachments: [
      { filename: 'notification-caf.pdf', content: pdf, contentType: 'application/pdf' },
      { filename: 'facture.pdf', content: exeFile(), contentType: 'application/pdf' },
    ],
  })
  const d = (await app.inject({ url: `/api/v1/referrals/${r.id}`, headers: secretary })).json() as { status: string; timeline: (Event & { attachments: { id: string; name: string; viaMail: boolean; url: string }[] })[] }
  t.equal(d.status, 'answered')
  const answered = d.timeline.find((e) => e.kind === 'answered')!
  t.equal(answered.data.body, 'Voici la notification de la CAF en pièce jointe.')
  t.same(answered.attachments.map((a) => [a.name, a.viaMail]), [['notification-caf.pdf', true]], 'the PDF is on the answer, on the timeline')
  const download = await app.inject({ url: answered.attachments[0]!.url, headers: secretary })
  t.equal(download.statusCode, 200)
  t.same(download.rawPayload, pdf, 'the mairie downloads the very file of the mail')
  const received = d.timeline.find((e) => e.kind === 'mail_received')!
  t.same(received.data.attachmentsRefused, [{ name: 'facture.pdf', reason: 'type non accepté' }], 'the timeline names the refused file')
  const told = await sink.waitFor((m) => m.to.includes('referent@caf36.demo') && m.headers['x-relais-kind'] === 'reply_outcome' && m.subject.includes(r.reference))
  t.match(told.text, 'La pièce jointe a été ajoutée à la saisine')
  t.match(told.text, 'Cette pièce jointe n’a pas été reprise : « facture.pdf » (type non accepté)')
  const toSecretary = await mailTo('secretaire@ardentes.demo', r.reference, 'answer_received')
  t.equal(toSecretary.headers['content-type']?.startsWith('multipart/alternative'), true, 'the secretary’s mail carries no file')
  t.match(toSecretary.text, 'La saisine compte 1 pièce jointe, à consulter dans Relais (connexion requise)')
  t.match(toSecretary.text, `/saisines/${r.id}#pieces-jointes`)
  t.notOk(toSecretary.raw.includes(pdf.subarray(0, 60).toString('base64')), 'not a byte of it')
})

t.test('an out-of-office never acts and is never answered', async (t) => {
  const r = await fileOne()
  const mail = await mailTo('referent@caf36.demo', r.reference, 'referral_new')
  const before = await kinds(r.id)
  const outlookOof = await smtp.sendMail({
    from: 'referent@caf36.demo', to: replyTo(mail), subject: `Réponse automatique : ${mail.subject}`, messageId: msgId(),
    text: 'Je suis absente du bureau jusqu’au 30 novembre. Pour toute urgence, contactez Karim Haddad.', headers: { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All' },
  })
  t.match(outlookOof.response, /^250/, 'taken, so the robot does not retry')
  await smtp.sendMail({ from: 'referent@caf36.demo', to: replyTo(mail), subject: `Absence du bureau`, text: 'Je suis en congé.', messageId: msgId() })
  await smtp.sendMail({ from: 'referent@caf36.demo', to: replyTo(mail), subject: `Re: ${mail.subject}`, text: 'Message de la liste', headers: { Precedence: 'bulk' }, messageId: msgId() })
  const d = await detail(r.id)
  t.equal(d.status, 'assigned', 'not answered')
  t.same(d.timeline.map((e) => e.kind).filter((k) => k !== 'mail_sent'), before, 'nothing on the timeline')
  t.equal(await outcomes(r.id), 0, 'no answer to a robot')
})

t.test('a forged sender is refused in French and nothing is recorded', async (t) => {
  const r = await fileOne()
  const mail = await mailTo('referent@caf36.demo', r.reference, 'referral_new')
  const before = await kinds(r.id)
  const err = await smtp.sendMail({ from: 'quelquun@exemple.fr', to: replyTo(mail), subject: 'Re: saisine', text: 'Je réponds à la place de la CAF.', messageId: msgId() }).then(() => null, (e: { responseCode?: number; response?: string }) => e)
  t.equal(err?.responseCode, 550)
  t.match(err?.response, /adresse de réponse est personnelle/)
  t.notMatch(err?.response, 'referent@caf36.demo', 'the expected address is not given away')
  t.same(await kinds(r.id), before)
  t.equal(await outcomes(r.id), 0)
})

t.test('an unknown or tampered address is refused at once', async (t) => {
  const good = replyTo(toReferent)
  const tampered = good.replace(/\.([0-9a-f])/, (_m, c: string) => `.${c === '0' ? '1' : '0'}`)
  for (const to of [tampered, 'r+1.000000000000000000000000@reponses.relais.local', 'quelquun@reponses.relais.local']) {
    const err = await smtp.sendMail({ from: 'referent@caf36.demo', to, subject: 'Re', text: 'Bonjour', messageId: msgId() }).then(() => null, (e: { responseCode?: number; response?: string }) => e)
    t.equal(err?.responseCode, 550, to)
    t.match(err?.response, /Adresse de réponse inconnue ou expirée/)
  }
})

t.test('a reply to a closed referral is refused by mail, saying why', async (t) => {
  t.equal((await app.inject({ method: 'POST', url: `/api/v1/referrals/${first.id}/close`, headers: secretary, payload: {} })).statusCode, 200)
  const before = await kinds(first.id)
  await smtp.sendMail({ from: 'referent@caf36.demo', to: replyTo(toReferent), subject: 'Re: saisine', text: 'Un complément à ma réponse.', messageId: msgId() })
  t.same(await kinds(first.id), before, 'nothing added')
  const refusal = await sink.waitFor((m) => m.to.includes('referent@caf36.demo') && m.headers['x-relais-kind'] === 'reply_outcome' && m.subject.startsWith('Non enregistré'))
  t.match(refusal.text, 'La saisine est clôturée.')
  t.equal(refusal.headers['auto-submitted'], 'auto-replied')
})

t.test('a delivery status notification is a bounce: the address is flagged and the referral goes to the backup', async (t) => {
  const r = await fileOne()
  const mail = await mailTo('referent@caf36.demo', r.reference, 'referral_new')
  const dsn = [
    'From: Mail Delivery System <MAILER-DAEMON@mx.caf36.demo>', `To: ${replyTo(mail)}`, 'Subject: Undelivered Mail Returned to Sender', `Message-ID: ${msgId()}`,
    'Auto-Submitted: auto-replied', 'MIME-Version: 1.0', 'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"', '',
    '--b1', 'Content-Type: text/plain; charset=utf-8', '', 'Votre message n’a pas pu être remis.', '',
    '--b1', 'Content-Type: message/delivery-status', '', 'Reporting-MTA: dns; mx.caf36.demo', '',
    'Final-Recipient: rfc822; referent@caf36.demo', 'Action: failed', 'Status: 5.1.1', 'Diagnostic-Code: smtp; 550 5.1.1 User unknown', '',
    '--b1', 'Content-Type: text/rfc822-headers', '', `Message-ID: ${mail.messageId}`, '', '--b1--', '',
  ].join('\r\n')
  await smtp.sendMail({ envelope: { from: '', to: [replyTo(mail)] }, raw: dsn })
  const d = await detail(r.id)
  t.ok(d.timeline.some((e) => e.kind === 'mail_failed' && e.data.permanent === true), 'the failure is on the timeline')
  const toBackup = await mailTo('referent2@caf36.demo', r.reference, 'referral_new')
  t.match(toBackup.subject, /adresse du référent en échec/)
  const alert = await sink.waitFor((m) => m.to.includes('tic@indre.demo') && m.headers['x-relais-kind'] === 'delivery_failed' && m.text.includes(r.reference))
  t.match(alert.text, 'referent@caf36.demo')
  t.equal(await outcomes(r.id), 0, 'no answer to a DSN')
})
