import t from 'tap'
import { formatDateTimeFr, formatDuration, MAIL_KINDS, MailRenderError, renderMail, type MailData, type MailKind } from './render.ts'

const due = new Date('2026-05-25T07:00:00Z') // lundi 25 mai 2026, 9 h 00 in Paris (summer time)
const base = {
  publicUrl: 'https://relais.indre.example/',
  referralId: '7f1c2a9e-0b1d-4c55-9b9f-0e0c6f1a2b3c',
  reference: '36-2026-000042',
  theme: 'Aides CAF',
  commune: 'Ardentes',
  recipientName: 'Nathalie Roux',
}
const link = `https://relais.indre.example/saisines/${base.referralId}`
const caf = { name: 'Nathalie Roux', organisation: 'CAF de l’Indre' }

const fixtures: { [K in MailKind]: MailData[K] } = {
  referral_new: {
    ...base,
    mairie: 'Mairie d’Ardentes',
    secretaryName: 'Sophie Bernard',
    question: 'Mon allocation logement a baissé en avril.\nPourquoi ?',
    citizen: { name: 'Jeanne Durand', email: 'jeanne.durand@example.org', phone: '02 54 36 00 00', preferredChannel: 'phone' },
    dueAt: due,
  },
  reminder: { ...base, dueAt: due, remainingMinutes: 1440 },
  escalation: { ...base, level: 2, dueAt: due, overdueMinutes: 1440 + 4 * 60, holder: caf },
  info_requested: { ...base, request: 'Merci de préciser le numéro d’allocataire.', requestedBy: caf, citizenName: 'Jeanne Durand' },
  answer_received: {
    ...base, answer: 'Votre aide a été recalculée.\nUn rappel sera versé le 5 juin.', answeredBy: caf, answeredAt: '2026-05-22T14:30:00Z', citizenName: 'Jeanne Durand',
  },
  transferred: { ...base, reason: 'Relève de la CPAM, pas de la CAF.', from: { name: 'Isabelle Fournier', organisation: 'DDT de l’Indre' }, dueAt: due, question: 'Question initiale' },
  appointment_proposed: {
    ...base,
    place: { name: 'France services de Vatan', address: 'Place de la République\n36150 Vatan' },
    startsAt: new Date('2026-06-02T12:30:00Z'),
    durationMinutes: 45,
    proposedBy: caf,
    citizenName: 'Jeanne Durand',
    note: 'Apportez votre dernier avis d’imposition.',
  },
  info_provided: { ...base, complement: 'La séparation date du 3 mars.', providedBy: { name: 'Sophie Bernard', organisation: 'Mairie d’Ardentes' }, citizenName: 'Jeanne Durand' },
  cancelled: { ...base, reason: 'Le citoyen a trouvé la réponse.', cancelledBy: { name: 'Sophie Bernard', organisation: 'Mairie d’Ardentes' }, citizenName: 'Jeanne Durand' },
  delivery_failed: {
    publicUrl: 'https://relais.indre.example',
    recipientName: 'Claire Martin',
    address: 'referent@caf36.demo',
    person: caf,
    smtpCode: 550,
    smtpMessage: '5.1.1 User unknown',
    failedAt: due,
    referralId: base.referralId,
    reference: base.reference,
  },
  chain_heads: {
    publicUrl: 'https://relais.indre.example',
    recipientName: 'Claire Martin',
    day: '2026-05-25',
    publishedAt: due,
    referrals: 42,
    digest: 'a'.repeat(64),
    keyId: 'k2026',
    signature: 'b'.repeat(64),
  },
  fiche_review: {
    publicUrl: 'https://relais.indre.example',
    recipientName: 'Claire Martin',
    ficheId: 'f1c4e',
    title: 'Chèque énergie : l’utiliser et le contester',
    reviewBy: '2026-05-24',
    organisation: 'CAF de l’Indre',
  },
  info_reminder: {
    ...base, request: 'Merci de préciser le numéro d’allocataire.', requestedBy: caf, requestedAt: '2026-05-18T08:00:00Z', closableAt: due, citizenName: 'Jeanne Durand',
  },
  info_stale: { ...base, requestedAt: '2026-05-11T08:00:00Z', mairie: 'Mairie d’Ardentes' },
  closed_no_reply: { ...base, closedBy: caf, requestedAt: '2026-05-11T08:00:00Z', note: 'Sans numéro d’allocataire, rien à faire.' },
  invitation: { publicUrl: base.publicUrl, recipientName: 'Nathalie Roux', link: 'https://relais.indre.example/compte/invitation?jeton=abc.def.ghi', expiresAt: due, organisation: 'CAF du Cher', invitedBy: 'Claire Martin' },
  convention_signed: {
    publicUrl: base.publicUrl, recipientName: 'Claire Martin', organisation: 'CAF du Cher', signerName: 'Agnès Morel', capacity: 'Directrice de la CAF du Cher',
    signedAt: due, title: 'Convention partenaire', version: 2, documentSha256: 'a'.repeat(64), receiptSha256: 'b'.repeat(64), url: 'https://relais.indre.example/conventions/signatures/abc',
  },
  password_reset: { publicUrl: base.publicUrl, recipientName: 'Nathalie Roux', link: 'https://relais.indre.example/compte/nouveau-mot-de-passe?jeton=abc.def.ghi', expiresAt: due },
  reply_outcome: { ...base, recorded: false, sentence: 'Votre courriel sur la saisine 36-2026-000042 n’a pas été enregistré.', reason: 'La saisine est clôturée.' },
  acknowledgement: {
    ...base, recipientName: undefined, filedAt: '2026-05-20T08:00:00Z', promise: '3 jours ouvrés', dueAt: due,
    service: { name: 'CAF de l’Indre', address: '8 rue de la Poste, 36000 Châteauroux', email: 'contact@caf36.example', phone: '02 54 00 00 00' },
    mairie: { name: 'Mairie d’Ardentes', address: 'Place de la République, 36120 Ardentes', email: 'mairie@ardentes.example' },
    trackingCode: 'ABCD-EFGH-JKMN',
    notice: { controller: 'Le département.', purpose: 'Répondre.', legalBasis: 'Mission d’intérêt public.', recipients: 'La mairie.', retention: 'Effacées 24 mois après la clôture.', rights: 'Accès, effacement.', contact: 'dpo@indre.example', complaint: 'CNIL.' },
  },
  transfer_notice: {
    ...base, audience: 'citizen', recipientName: undefined, promise: '3 jours ouvrés', dueAt: due,
    service: { name: 'CPAM de l’Indre', address: '1 rue de la Santé, 36000 Châteauroux', phone: '36 46' },
  },
  answer_forward: {
    ...base, recipientName: undefined, mairie: { name: 'Mairie d’Ardentes', address: 'Place de la République, 36120 Ardentes', email: 'mairie@ardentes.example', phone: '02 54 36 20 07' },
    answeredBy: 'CAF de l’Indre', answeredAt: '2026-05-21T08:00:00Z', answer: 'Oui, l’allocation de soutien familial vous est due.',
  },
  appointment: {
    ...base, occasion: 'booked', audience: 'secretary', place: { name: 'France services de Vatan', address: 'Place de la République, 36150 Vatan', phone: '02 54 49 00 02' },
    startsAt: new Date('2026-06-02T07:30:00Z'), durationMinutes: 30, referent: caf, citizenName: 'Jeanne Durand', whatToBring: 'Une pièce d’identité.',
    convocationUrl: 'https://relais.indre.example/rendez-vous/abc/convocation',
  },
}

/** What a person must find in each mail: [subject, text and HTML] fragments. */
const expected: Record<MailKind, { subject: string[]; body: string[] }> = {
  referral_new: {
    subject: ['Nouvelle saisine', '36-2026-000042', 'Aides CAF', 'Ardentes'],
    body: ['Bonjour Nathalie Roux,', '36-2026-000042', 'Aides CAF', 'Ardentes', 'Mairie d’Ardentes', 'Sophie Bernard', 'Mon allocation logement a baissé en avril.',
      'Jeanne Durand', 'jeanne.durand@example.org', '02 54 36 00 00', 'par téléphone', 'lundi 25 mai 2026 à 9 h 00', link],
  },
  reminder: { subject: ['Rappel', '36-2026-000042', 'lundi 25 mai 2026 à 9 h 00'], body: ['attend toujours votre réponse', 'lundi 25 mai 2026 à 9 h 00', '1 j', link] },
  escalation: {
    subject: ['Saisine en retard', 'niveau 2', '36-2026-000042'],
    body: ['niveau d’escalade 2', 'lundi 25 mai 2026 à 9 h 00', '1 j 4 h', 'Nathalie Roux, CAF de l’Indre', link],
  },
  info_requested: {
    subject: ['Complément d’information demandé', '36-2026-000042'],
    body: ['Nathalie Roux (CAF de l’Indre)', 'Merci de préciser le numéro d’allocataire.', 'Jeanne Durand', 'suspendu', link],
  },
  answer_received: {
    subject: ['Réponse reçue', '36-2026-000042'],
    body: ['a répondu', 'Votre aide a été recalculée.', 'Un rappel sera versé le 5 juin.', 'vendredi 22 mai 2026 à 16 h 30', 'Jeanne Durand', 'clôturez', link],
  },
  transferred: {
    subject: ['Saisine transférée', '36-2026-000042'],
    body: ['Relève de la CPAM, pas de la CAF.', 'Isabelle Fournier, DDT de l’Indre', 'lundi 25 mai 2026 à 9 h 00', 'ne relance pas le délai', 'Question initiale', link],
  },
  appointment_proposed: {
    subject: ['Rendez-vous proposé', 'mardi 2 juin 2026 à 14 h 30', '36-2026-000042'],
    body: ['France services de Vatan', 'Place de la République', '36150 Vatan', 'mardi 2 juin 2026 à 14 h 30', '45 min', 'Jeanne Durand',
      'Apportez votre dernier avis d’imposition.', 'Nathalie Roux (CAF de l’Indre)', link],
  },
  info_provided: {
    subject: ['Complément reçu', '36-2026-000042'],
    body: ['Sophie Bernard (Mairie d’Ardentes)', 'La séparation date du 3 mars.', 'Jeanne Durand', 'Le délai de réponse repart', link],
  },
  cancelled: {
    subject: ['Saisine annulée', '36-2026-000042'],
    body: ['Sophie Bernard (Mairie d’Ardentes)', 'Le citoyen a trouvé la réponse.', 'vous n’avez plus à la traiter', link],
  },
  delivery_failed: {
    subject: ['Adresse en échec', 'referent@caf36.demo'],
    body: ['Bonjour Claire Martin,', 'referent@caf36.demo', 'Nathalie Roux (CAF de l’Indre)', '550 5.1.1 User unknown', 'lundi 25 mai 2026 à 9 h 00', 'suppléant', '36-2026-000042', link],
  },
  chain_heads: {
    subject: ['Empreinte signée', '2026-05-25', '42 saisines'],
    body: ['Bonjour Claire Martin,', 'lundi 25 mai 2026 à 9 h 00', '2026-05-25', 'a'.repeat(64), 'b'.repeat(64), 'k2026', 'verify-chain'],
  },
  fiche_review: {
    subject: ['Fiche à relire', 'Chèque énergie', '24/05/2026'],
    body: ['Bonjour Claire Martin,', 'CAF de l’Indre', '24/05/2026', 'nouvelle date de relecture', 'https://relais.indre.example/fiches/f1c4e'],
  },
  info_reminder: {
    subject: ['Complément toujours attendu', '36-2026-000042'],
    body: ['Bonjour Nathalie Roux,', 'lundi 18 mai 2026 à 10 h 00', 'Merci de préciser le numéro d’allocataire.', 'clôturer la saisine sans suite à partir du lundi 25 mai 2026 à 9 h 00', link],
  },
  info_stale: {
    subject: ['Complément non reçu', 'clôture sans suite possible', '36-2026-000042'],
    body: ['lundi 11 mai 2026', 'Mairie d’Ardentes', 'Clôturer sans suite', link],
  },
  acknowledgement: {
    subject: ['Accusé de réception', '36-2026-000042'],
    body: ['Madame, Monsieur', 'mercredi 20 mai 2026 à 10 h 00', 'sous 3 jours ouvrés', 'lundi 25 mai 2026 à 9 h 00', 'CAF de l’Indre', '8 rue de la Poste, 36000 Châteauroux', 'contact@caf36.example', '02 54 00 00 00',
      'ABCD-EFGH-JKMN', 'https://relais.indre.example/suivi?reference', 'Mission d’intérêt public.', 'Effacées 24 mois après la clôture.', 'dpo@indre.example'],
  },
  transfer_notice: {
    subject: ['Votre demande 36-2026-000042 est transmise à CPAM de l’Indre'],
    body: ['Madame, Monsieur', 'administration compétente', 'CPAM de l’Indre', '1 rue de la Santé, 36000 Châteauroux', '36 46', 'ne relance pas le délai', 'sous 3 jours ouvrés',
      'lundi 25 mai 2026 à 9 h 00', 'https://relais.indre.example/suivi?reference'],
  },
  answer_forward: {
    subject: ['Réponse à votre demande 36-2026-000042', 'Mairie d’Ardentes'],
    body: ['Madame, Monsieur', 'Mairie d’Ardentes vous transmet la réponse', 'CAF de l’Indre', 'jeudi 21 mai 2026 à 10 h 00', 'Oui, l’allocation de soutien familial vous est due.', 'Place de la République, 36120 Ardentes', '02 54 36 20 07', 'https://relais.indre.example/suivi?reference'],
  },
  closed_no_reply: {
    subject: ['Saisine clôturée sans suite', '36-2026-000042'],
    body: ['Nathalie Roux (CAF de l’Indre) a clôturé sans suite', 'lundi 11 mai 2026', 'Sans numéro d’allocataire, rien à faire.', 'rouvrir la saisine dans les 30 jours', link],
  },
  invitation: {
    subject: ['Invitation', 'CAF du Cher'],
    body: ['Claire Martin vous invite', 'CAF du Cher', 'lundi 25 mai 2026 à 9 h 00', 'https://relais.indre.example/compte/invitation?jeton', 'abc.def.ghi'],
  },
  convention_signed: {
    subject: ['Convention signée', 'CAF du Cher', 'version 2'],
    body: ['Agnès Morel', 'Directrice de la CAF du Cher', 'a signé pour', 'lundi 25 mai 2026 à 9 h 00', 'a'.repeat(64), 'b'.repeat(64), 'contresignature', 'https://relais.indre.example/conventions/signatures/abc'],
  },
  password_reset: {
    subject: ['nouveau mot de passe'],
    body: ['lundi 25 mai 2026 à 9 h 00', 'toutes vos sessions ouvertes seront fermées', 'https://relais.indre.example/compte/nouveau-mot-de-passe?jeton', 'abc.def.ghi'],
  },
  reply_outcome: { subject: ['Non enregistré', '36-2026-000042'], body: ['n’a pas été enregistré', 'La saisine est clôturée.', link] },
  appointment: {
    subject: ['Rendez-vous le mardi 2 juin 2026 à 9 h 30', 'France services de Vatan', '36-2026-000042'],
    body: ['Nathalie Roux (CAF de l’Indre) recevra Jeanne Durand', 'Place de la République, 36150 Vatan', '02 54 49 00 02', 'Une pièce d’identité.', 'https://relais.indre.example/rendez-vous/abc/convocation', link],
  },
}

t.test('the transfer notice to the mairie names the new organisation and links to the referral', async (t) => {
  const mail = renderMail('transfer_notice', { ...fixtures.transfer_notice, audience: 'mairie', recipientName: 'Sophie Bernard' } as Record<string, unknown>)
  t.equal(mail.subject, 'Saisine 36-2026-000042 transmise à CPAM de l’Indre')
  for (const part of [mail.text, mail.html]) {
    t.ok(part.includes('Bonjour Sophie Bernard,') && part.includes('déposée par votre mairie') && part.includes(link), 'greeting, wording and link')
    t.notOk(part.includes('/suivi'), 'no tracking link for the mairie')
  }
})

t.test('every kind renders a French subject, text and HTML with what the recipient needs', async (t) => {
  t.same([...MAIL_KINDS].sort(), Object.keys(fixtures).sort(), 'a fixture for every kind')
  for (const kind of MAIL_KINDS) {
    const mail = renderMail(kind, fixtures[kind] as Record<string, unknown>)
    t.notMatch(mail.subject, /\n/, `${kind}: one-line subject`)
    for (const s of expected[kind].subject) t.ok(mail.subject.includes(s), `${kind}: subject has "${s}" (got "${mail.subject}")`)
    for (const s of expected[kind].body) {
      t.ok(mail.text.includes(s), `${kind}: text has "${s}"`)
      t.ok(mail.html.includes(s), `${kind}: HTML has "${s}"`)
    }
    for (const part of [mail.subject, mail.text, mail.html]) {
      t.notMatch(part, /undefined|\[object Object\]|NaN|Invalid Date/, `${kind}: no hole in the mail`)
    }
    t.notMatch(mail.text, /&(#x?[0-9a-f]+|amp|lt|gt|quot);|<\/?[a-z]+[ >]/i, `${kind}: the text part is plain text`)
    t.match(mail.html, /^<!DOCTYPE html>\n<html lang="fr">/, `${kind}: an HTML document in French`)
    t.notMatch(mail.html, /<style|<link|class=/, `${kind}: inline CSS only`)
    t.match(mail.text, /Message envoyé automatiquement par Relais/, `${kind}: text footer`)
  }
})

t.test('appointment mails: the citizen gets no extranet link; a change and a cancellation say so', async (t) => {
  const citizen = renderMail('appointment', { ...fixtures.appointment, audience: 'citizen', convocationUrl: undefined, recipientName: undefined })
  t.match(citizen.text, 'Bonjour Jeanne Durand,')
  t.match(citizen.text, 'Vous avez rendez-vous avec Nathalie Roux')
  t.notMatch(citizen.text, /saisines\//, 'no link to the extranet')
  const moved = renderMail('appointment', { ...fixtures.appointment, occasion: 'rescheduled', previousStartsAt: '2026-06-01T07:30:00Z', reason: 'Référente en formation.' })
  t.match(moved.subject, 'Rendez-vous déplacé au mardi 2 juin 2026 à 9 h 30')
  t.match(moved.text, 'Il était prévu le lundi 1er juin 2026 à 9 h 30.')
  t.match(moved.text, 'Motif : Référente en formation.')
  const cancelled = renderMail('appointment', { ...fixtures.appointment, occasion: 'cancelled', reason: 'Usager excusé.' })
  t.match(cancelled.subject, 'Rendez-vous annulé')
  t.notMatch(cancelled.text, 'À apporter')
})

t.test('optional parts appear only when given', async (t) => {
  const bare = renderMail('referral_new', { ...fixtures.referral_new, recipientName: undefined, secretaryName: undefined, citizen: { name: 'Jeanne Durand', preferredChannel: 'email' } })
  t.match(bare.text, /^Bonjour,\n/)
  t.match(bare.text, /\nSaisie par : Mairie d’Ardentes\n/)
  t.notMatch(bare.text, /Téléphone|Courriel :/)
  t.match(bare.text, /Préfère être contacté : par courriel/)
  const noHolder = renderMail('escalation', { ...fixtures.escalation, holder: { organisation: 'Mission TIC' } })
  t.match(noHolder.text, /Détenteur actuel : Mission TIC \(aucun référent disponible\)/)
  const correction = renderMail('answer_received', { ...fixtures.answer_received, correction: true })
  t.match(correction.subject, /^Réponse corrigée/)
  t.match(correction.text, /remplace la précédente/)
  const noReferral = renderMail('delivery_failed', { ...fixtures.delivery_failed, referralId: undefined, reference: undefined, person: undefined, smtpCode: null })
  t.notMatch(noReferral.text, /saisines\//)
  t.match(noReferral.text, /Réponse du serveur : 5\.1\.1 User unknown/)
  const paris = renderMail('reminder', { ...fixtures.reminder, remainingMinutes: undefined })
  t.notMatch(paris.text, /Temps restant/)
})

t.test('text from people is HTML-escaped in the HTML part and keeps its line breaks', async (t) => {
  const evil = '<script>alert("x")</script>\nDeuxième ligne & <b>gras</b>'
  const referral = renderMail('referral_new', {
    ...fixtures.referral_new,
    question: evil,
    citizen: { ...fixtures.referral_new.citizen, name: '<img src=x onerror=alert(1)>', email: '"><script>@example.org' },
  })
  t.notMatch(referral.html, /<script|<img|<b>/i, 'no markup from people reaches the HTML')
  t.match(referral.html, '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<br>\nDeuxième ligne &amp; &lt;b&gt;gras&lt;/b&gt;')
  t.match(referral.html, '&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;')
  t.match(referral.text, evil, 'the text part keeps the question as typed')

  const answer = renderMail('answer_received', { ...fixtures.answer_received, answer: evil })
  t.notMatch(answer.html, /<script|<b>/i)
  t.match(answer.html, '&lt;/script&gt;<br>\nDeuxième ligne')
  t.match(answer.text, evil)

  for (const [kind, data] of [
    ['info_requested', { ...fixtures.info_requested, request: evil }],
    ['transferred', { ...fixtures.transferred, reason: evil, question: evil }],
    ['appointment_proposed', { ...fixtures.appointment_proposed, note: evil, place: { name: evil, address: evil } }],
    ['delivery_failed', { ...fixtures.delivery_failed, smtpMessage: evil }],
  ] as const) {
    const mail = renderMail(kind, data as Record<string, unknown>)
    t.notMatch(mail.html, /<script|<b>/i, `${kind}: escaped`)
  }
  const multiLine = renderMail('referral_new', { ...fixtures.referral_new, question: 'un\r\ndeux\n\ntrois' })
  t.match(multiLine.html, 'un<br>\ndeux<br>\n<br>\ntrois')
  t.match(multiLine.text, 'un\r\ndeux\n\ntrois')
})

t.test('the subject stays on one line whatever the data', async (t) => {
  const mail = renderMail('referral_new', { ...fixtures.referral_new, theme: 'Aides\r\nBcc: x@evil.example' })
  t.equal(mail.subject, 'Nouvelle saisine 36-2026-000042 : Aides Bcc: x@evil.example (Ardentes)')
})

t.test('the link opens the referral whatever the trailing slash of publicUrl', async (t) => {
  for (const publicUrl of ['https://relais.indre.example', 'https://relais.indre.example/', 'https://relais.indre.example//']) {
    t.match(renderMail('reminder', { ...fixtures.reminder, publicUrl }).text, `\n${link}\n`)
  }
  const html = renderMail('reminder', fixtures.reminder).html
  t.match(html, `<a href="${link}"`)
})

t.test('dates follow the tenant time zone when given', async (t) => {
  const mail = renderMail('reminder', { ...fixtures.reminder, timeZone: 'America/Guadeloupe' })
  t.match(mail.text, 'lundi 25 mai 2026 à 3 h 00')
  t.throws(() => renderMail('reminder', { ...fixtures.reminder, timeZone: 'Europe/Nulle-Part' }), /timeZone/)
})

t.test('missing or invalid data gives an error that names the field', async (t) => {
  const { citizen, ...withoutCitizen } = fixtures.referral_new
  t.ok(citizen)
  t.throws(() => renderMail('referral_new', withoutCitizen as Record<string, unknown>), { name: 'MailRenderError', message: /referral_new.*missing field "citizen"/ })
  t.throws(() => renderMail('referral_new', { ...fixtures.referral_new, citizen: { preferredChannel: 'email' } }), /missing field "citizen\.name"/)
  t.throws(() => renderMail('referral_new', { ...fixtures.referral_new, dueAt: 'demain' }), /field "dueAt" must be a Date/)
  t.throws(() => renderMail('referral_new', { ...fixtures.referral_new, dueAt: new Date('nope') }), /field "dueAt"/)
  t.throws(() => renderMail('referral_new', { ...fixtures.referral_new, question: '' }), /field "question"/)
  t.throws(() => renderMail('referral_new', { ...fixtures.referral_new, publicUrl: 'javascript:alert(1)' }), /field "publicUrl"/)
  t.throws(() => renderMail('escalation', { ...fixtures.escalation, level: 0 }), /field "level"/)
  t.throws(() => renderMail('answer_received', {}), /missing field "answer".*missing field "answeredBy"/)
  t.throws(() => renderMail('nope' as MailKind, {}), /Cannot render mail "nope": unknown mail kind/)
  t.throws(() => renderMail('reminder', null as unknown as Record<string, unknown>), /data must be an object/)
  try {
    renderMail('appointment_proposed', { ...fixtures.appointment_proposed, place: { name: 'MSAP' } })
    t.fail('should throw')
  } catch (err) {
    t.type(err, MailRenderError)
    t.same((err as MailRenderError).problems, ['missing field "place.address"'])
  }
})

t.test('rendering twice gives the same mail (templates compiled once and reused)', async (t) => {
  t.same(renderMail('referral_new', fixtures.referral_new), renderMail('referral_new', fixtures.referral_new))
})

t.test('formatDateTimeFr', async (t) => {
  const cases: [Date | string, string, string?][] = [
    [due, 'lundi 25 mai 2026 à 9 h 00'],
    ['2026-05-01T12:30:00Z', 'vendredi 1er mai 2026 à 14 h 30'],
    ['2026-01-15T08:05:00Z', 'jeudi 15 janvier 2026 à 9 h 05'], // winter time, UTC+1
    ['2026-03-29T00:59:00Z', 'dimanche 29 mars 2026 à 1 h 59'], // just before the spring change
    ['2026-03-29T01:00:00Z', 'dimanche 29 mars 2026 à 3 h 00'], // just after it
    ['2026-12-31T23:00:00Z', 'vendredi 1er janvier 2027 à 0 h 00'],
    ['2026-05-25T07:00:00Z', 'lundi 25 mai 2026 à 7 h 00', 'UTC'],
  ]
  for (const [input, want, zone] of cases) t.equal(formatDateTimeFr(input, zone), want, String(input))
  t.throws(() => formatDateTimeFr('pas une date'), /Not a valid date/)
})

t.test('formatDuration', async (t) => {
  const cases: [number, string][] = [
    [0, '0 min'], [0.7, '0 min'], [1, '1 min'], [45, '45 min'], [60, '1 h'], [180, '3 h'], [195, '3 h 15 min'],
    [1440, '1 j'], [1440 * 2 + 4 * 60, '2 j 4 h'], [1440 * 2 + 4 * 60 + 59, '2 j 4 h'], [1440 * 3 + 30, '3 j'], [4320, '3 j'], [-90, '-1 h 30 min'],
  ]
  for (const [minutes, want] of cases) t.equal(formatDuration(minutes), want, String(minutes))
  t.throws(() => formatDuration(Number.NaN), /Not a valid duration/)
})

t.test('a referral reaching someone says why: new, triage, reopened, rerouted, reassigned', async (t) => {
  const cases: [string | undefined, RegExp, RegExp][] = [
    [undefined, /^Nouvelle saisine 36-2026-000042/, /Une nouvelle saisine vous est adressée/],
    ['triage', /^Saisine à orienter \(file de tri\) 36-2026-000042/, /Aucune règle de routage ne désigne d’organisme/],
    ['reopened', /^Saisine rouverte par la mairie : 36-2026-000042/, /La mairie a rouvert cette saisine[\s\S]*Motif de la réouverture :\nRien reçu <b>/],
    ['rerouted', /^Saisine qui vous est confiée \(adresse du référent en échec\)/, /n’a pas pu lui être remis/],
    ['reassigned', /^Saisine qui vous est confiée dans votre organisation/, /Philippe Moreau vous a confié cette saisine\./],
  ]
  for (const [occasion, subject, text] of cases) {
    const mail = renderMail('referral_new', { ...fixtures.referral_new, ...(occasion ? { occasion: occasion as 'triage' } : {}), note: 'Rien reçu <b>', reassignedBy: 'Philippe Moreau' })
    t.match(mail.subject, subject, `${occasion ?? 'new'}: subject`)
    t.match(mail.text, text, `${occasion ?? 'new'}: text`)
    t.notMatch(mail.html, /<b>/, `${occasion ?? 'new'}: HTML escaped`)
    if (occasion) t.notMatch(mail.subject, /Nouvelle saisine/)
  }
  t.throws(() => renderMail('referral_new', { ...fixtures.referral_new, occasion: 'autre' as 'triage' }), /field "occasion"/)
})
