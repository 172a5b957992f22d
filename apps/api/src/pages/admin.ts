// Read pages of the mission TIC (the network at a glance, the triage queue, failed mails, organisations, people,
// themes). The pages that change things are in network-admin.ts, org-admin.ts and journal.ts.
import type { FastifyInstance } from 'fastify'
import { ROLE_LABELS, isUuid } from '@relais/core'
import type { Role } from '@relais/db'
import { listOrganisations } from '@relais/directory/organisations'
import { listPeople } from '@relais/directory/people'
import { listMails, listReferrals, networkGlance, resendMail, waitingOnMe } from '@relais/referrals'
import { knowledgeFigures, type Principal as KnowledgePrincipal } from '@relais/knowledge'
import { LIST_PAGE_SIZE, deadline, shortDate, statusLabel, waitingLinks } from './format.ts'


const MAIL_KIND_LABELS: Record<string, string> = {
  referral_new: 'Nouvelle saisine', reminder: 'Rappel de délai', escalation: 'Escalade', info_requested: 'Demande de complément',
  answer_received: 'Réponse reçue', transferred: 'Transfert', appointment_proposed: 'Proposition de rendez-vous', info_provided: 'Complément reçu', cancelled: 'Annulation', delivery_failed: 'Alerte d’échec d’envoi',
  invitation: 'Invitation', password_reset: 'Mot de passe oublié',
}

export async function adminPages(app: FastifyInstance) {
  const kit = app.pages
  const overview = { config: { access: 'network.overview' as const } }
  const directory = { config: { access: 'directory.browse' as const } }

  app.get('/tableau-de-bord', overview, async (request, reply) => {
    const data = await app.tx(request, async (trx) => ({
      me: await kit.me(trx, request), ...(await networkGlance(trx, request.principal!.tenantId, app.clock())),
      knowledge: await knowledgeFigures(trx, request.principal! as KnowledgePrincipal, app.clock()),
      waiting: waitingLinks(await waitingOnMe(trx, request.principal!, app.clock())),
    }))
    // The knowledge base's share: questions answered by a fiche instead of a referral, searches that found nothing.
    const sum = (rows: { count: number }[]) => rows.reduce((n, r) => n + r.count, 0)
    return kit.render(reply, 'dashboard.hbs', {
      title: 'Tableau de bord du réseau', ...data,
      knowledge: { deflections: sum(data.knowledge.deflectionsByTheme), misses: sum(data.knowledge.missesByTheme), stale: data.knowledge.stale.length },
    })
  })

  app.get<{ Querystring: { apres?: string } }>('/triage', overview, async (request, reply) => {
    const now = app.clock()
    const cursor = typeof request.query.apres === 'string' && request.query.apres.length <= 500 ? request.query.apres : undefined
    const data = await app.tx(request, async (trx) => {
      const me = await kit.me(trx, request)
      // Paged in SQL like every list: the oldest waiting ones are on the later pages, never cut.
      const list = await listReferrals(trx, request.principal!, { status: 'submitted', sort: 'inbox', limit: LIST_PAGE_SIZE, cursor }, now)
      return { me, nextCursor: list.nextCursor, items: list.items.map((i) => ({ ...i, statusLabel: statusLabel(i.status), deadline: deadline(i, now), filed: shortDate(i.filedAt, me.timeZone), due: shortDate(i.dueAt, me.timeZone) })) }
    })
    const nextUrl = data.nextCursor ? `/triage?${new URLSearchParams({ apres: data.nextCursor })}` : null
    return kit.render(reply, 'triage.hbs', { title: 'File de tri', ...data, nextUrl, firstUrl: cursor ? '/triage' : null, isAdmin: true })
  })

  app.get<{ Querystring: { fait?: string } }>('/courriels', { config: { access: 'mails.read' } }, async (request, reply) => {
    const data = await app.tx(request, async (trx) => {
      const me = await kit.me(trx, request)
      const items = (await listMails(trx, request.principal!.tenantId, { state: 'failed', limit: 200 })).items
        .map((m) => ({ ...m, kindLabel: MAIL_KIND_LABELS[m.kind] ?? m.kind, created: shortDate(m.createdAt, me.timeZone) }))
      return { me, items }
    })
    return kit.render(reply, 'mails.hbs', { title: 'Courriels en échec', ...data, resent: request.query.fait === 'renvoye' })
  })

  app.post<{ Params: { id: string } }>('/courriels/:id/renvoyer', { config: { access: 'mails.resend' }, preHandler: app.csrfProtection }, async (request, reply) => {
    await app.tx(request, (trx) => resendMail(trx, request.principal!.tenantId, request.params.id, app.clock()))
    return reply.redirect('/courriels?fait=renvoye', 303)
  })

  app.get<{ Querystring: { organisme?: string; role?: string; q?: string } }>('/annuaire/personnes', directory, async (request, reply) => {
    const role = Object.keys(ROLE_LABELS).includes(request.query.role ?? '') ? (request.query.role as Role) : undefined
    const organisationId = isUuid(request.query.organisme) ? request.query.organisme : undefined
    const q = (request.query.q ?? '').trim().slice(0, 100) || undefined
    const data = await app.tx(request, async (trx) => {
      const actor = request.principal!
      const people = (await listPeople(trx, actor, { role, organisationId, q }, undefined, 500)).slice(0, 500)
      const orgs = (await listOrganisations(trx, actor, {}, undefined, 2000)).filter((o) => o.kind !== 'mairie' || people.some((p) => p.organisationId === o.id))
      const me = await kit.me(trx, request)
      return { me, people: peopleRows(people, app.clock(), me.timeZone), orgs: orgs.map((o) => ({ id: o.id, name: o.name, selected: o.id === organisationId })) }
    })
    return kit.render(reply, 'directory-people.hbs', {
      title: 'Annuaire : personnes', ...data, section: 'personnes', filters: { q },
      roles: Object.entries(ROLE_LABELS).map(([value, label]) => ({ value, label, selected: value === role })),
    })
  })

}

export function peopleRows(people: Awaited<ReturnType<typeof listPeople>>, now: Date, timeZone: string) {
  const names = new Map(people.map((p) => [p.id, p.name]))
  return people.map((p) => {
    const absentNow = !!p.absentFrom && p.absentFrom <= now && (!p.absentUntil || p.absentUntil > now)
    const absence = p.absentFrom ? `${absentNow ? 'absent' : 'absence prévue'} du ${shortDate(p.absentFrom, timeZone)}${p.absentUntil ? ` au ${shortDate(p.absentUntil, timeZone)}` : ''}` : ''
    return { ...p, roleLabel: ROLE_LABELS[p.role], absence, absentNow, backupName: p.backupPersonId ? names.get(p.backupPersonId) ?? 'une personne d’un autre organisme' : '', bounced: !!p.emailBouncedAt }
  })
}
