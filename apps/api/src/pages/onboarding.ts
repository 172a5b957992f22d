// Issue 13: the onboarding checklist of one's organisation (/adhesion): read and sign the convention, invite her people,
// check the themes and territories covered. The rules are packages/directory/src/onboarding.ts.
import type { FastifyInstance } from 'fastify'
import { dateTimeFr } from '@relais/core'
import { onboardingChecklist } from '@relais/directory/onboarding'
import { ROLE_LABELS } from './format.ts'

export async function onboardingPages(app: FastifyInstance) {
  const kit = app.pages

  app.get('/adhesion', { config: { access: 'onboarding.read' } }, async (request, reply) => {
    const p = request.principal!
    const data = await app.tx(request, async (trx) => ({ me: await kit.me(trx, request), c: await onboardingChecklist(trx, p, p.organisationId, app.clock()) }))
    const { me, c } = data
    return kit.render(reply, 'onboarding.hbs', {
      title: `Adhésion de ${c.organisation.name}`, me, c, admin: p.role === 'org_admin',
      active: c.organisation.status === 'active',
      signedAt: c.signature ? dateTimeFr(c.signature.signedAt, me.timeZone) : undefined,
      countersignedAt: c.signature?.countersignedAt ? dateTimeFr(c.signature.countersignedAt, me.timeZone) : undefined,
      people: c.people.map((x) => ({ ...x, roleLabel: (ROLE_LABELS as Record<string, string>)[x.role] ?? x.role })),
    })
  })
}
