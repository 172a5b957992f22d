// Issue 13: the mission TIC's register of conventions (/conventions/registre, and its CSV) and the verification of a
// receipt (its PDF uploaded, or its SHA-256 pasted). The rules are packages/directory/src/register.ts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fastifyMultipart from '@fastify/multipart'
import { DomainError, dateTimeFr } from '@relais/core'
import { conventionRegister, registerCsv, REGISTER_STATE_LABELS, verifyReceipt, type Verification } from '@relais/directory/register'
import { httpError } from '../plugins/errors.ts'

export async function conventionRegisterPages(app: FastifyInstance) {
  const kit = app.pages
  // The receipt comes as multipart/form-data, in memory (at most 20 Mio), with the form's fields (CSRF token included).
  await app.register(fastifyMultipart, { attachFieldsToBody: 'keyValues', limits: { fileSize: 20 * 1024 * 1024, files: 1, fields: 5 } })

  async function render(request: FastifyRequest, reply: FastifyReply, extra: { verification?: Verification; verifyError?: string; values?: Record<string, string>; status?: number } = {}) {
    const data = await app.tx(request, async (trx) => ({ me: await kit.me(trx, request), rows: await conventionRegister(trx, request.principal!, app.clock()) }))
    const tz = data.me.timeZone
    return kit.render(reply, 'convention-register.hbs', {
      title: `${extra.verifyError ? 'Erreur : ' : ''}Registre des conventions`, me: data.me,
      rows: data.rows.map((r) => ({ ...r, stateLabel: REGISTER_STATE_LABELS[r.state], signedAt: r.signature ? dateTimeFr(r.signature.signedAt, tz) : undefined })),
      verification: extra.verification, verifiedSignedAt: extra.verification?.signature ? dateTimeFr(extra.verification.signature.signedAt, tz) : undefined,
      verifyError: extra.verifyError, values: extra.values ?? {},
    }, extra.status ?? 200)
  }

  app.get('/conventions/registre', { config: { access: 'convention.register' } }, async (request, reply) => render(request, reply))

  app.get('/conventions/registre.csv', { config: { access: 'convention.register' } }, async (request, reply) => {
    const rows = await app.tx(request, (trx) => conventionRegister(trx, request.principal!, app.clock()))
    return reply.type('text/csv; charset=utf-8').header('cache-control', 'no-store').header('content-disposition', 'attachment; filename="registre-conventions.csv"').send(registerCsv(rows))
  })

  app.post<{ Body: Record<string, unknown> }>('/conventions/verification', { config: { access: 'convention.verify' }, preHandler: app.csrfProtection }, async (request, reply) => {
    const body = request.body ?? {}
    const pdf = Buffer.isBuffer(body.recu) && body.recu.length ? body.recu : undefined
    const sha256 = typeof body.empreinte === 'string' ? body.empreinte.slice(0, 200) : ''
    try {
      const verification = await app.tx(request, (trx) => verifyReceipt(trx, request.principal!, { pdf, sha256 }))
      return render(request, reply, { verification, values: { empreinte: pdf ? '' : sha256 } })
    } catch (err) {
      if (err instanceof DomainError && httpError(err).status === 400) return render(request, reply, { verifyError: err.message, values: { empreinte: sha256 }, status: 400 })
      throw err
    }
  })
}
