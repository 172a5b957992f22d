import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { CONVENTION_KINDS } from '@relais/core/conventions'
import { getConvention, listConventions, publishConvention, type ConventionVersion } from '@relais/directory/conventions'
import { countersign, signConvention, signatureReceipt } from '@relais/directory/signatures'
import { onboardingChecklist } from '@relais/directory/onboarding'
import { conventionRegister, registerCsv, REGISTER_CSV_COLUMNS, verifyReceipt } from '@relais/directory/register'
import { ErrorBody, IdParams, errorResponses } from '../schemas/common.ts'

// Issue 13: convention versions. The mission TIC publishes; org admins and the mission TIC read. A version never changes.

const Kind = Type.Enum([...CONVENTION_KINDS], { description: 'mairie, partner (organisme partenaire) ou msap (France services)' })
const DateTime = Type.Unsafe<Date | string>(Type.String({ format: 'date-time' }))
const Summary = {
  id: Type.String(), kind: Kind, version: Type.Integer(), title: Type.String(), sha256: Type.String({ description: 'SHA-256 du texte exact (UTF-8)' }),
  effectiveAt: DateTime, publishedAt: DateTime, publishedBy: Type.Union([Type.String(), Type.Null()]),
}
const Full = Type.Object({ ...Summary, body: Type.String({ description: 'Le texte exact, en Markdown' }), html: Type.String() })
const summary = (v: ConventionVersion) => ({ id: v.id, kind: v.kind, version: v.version, title: v.title, sha256: v.sha256, effectiveAt: v.effectiveAt, publishedAt: v.publishedAt, publishedBy: v.publishedBy })

export async function conventionRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()

  app.post('/conventions', {
    config: { access: 'convention.publish' },
    schema: {
      tags: ['conventions'], summary: 'Publie une nouvelle version de la convention d’un type d’organisme (mission TIC) ; elle ne changera plus',
      security: [{ bearer: [] }],
      body: Type.Object({ kind: Kind, title: Type.String({ minLength: 1, maxLength: 200 }), body: Type.String({ minLength: 1, maxLength: 200000 }), effectiveAt: Type.String({ format: 'date-time' }) }, { additionalProperties: false }),
      response: { 201: Full, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 409: ErrorBody },
    },
  }, async (request, reply) => {
    const v = await app.tx(request, (trx) => publishConvention(trx, request.principal!, { ...request.body, effectiveAt: new Date(request.body.effectiveAt) }, app.clock()))
    return reply.code(201).send(v)
  })

  app.get('/conventions', {
    config: { access: 'convention.read' },
    schema: {
      tags: ['conventions'], summary: 'Les versions publiées des conventions, par type d’organisme, la plus récente d’abord',
      security: [{ bearer: [] }], querystring: Type.Object({ kind: Type.Optional(Kind) }),
      response: { 200: Type.Object({ items: Type.Array(Type.Object(Summary)) }), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
    },
  }, async (request) => ({ items: (await app.tx(request, (trx) => listConventions(trx, request.principal!, request.query.kind))).map(summary) }))

  app.get('/conventions/:id', {
    config: { access: 'convention.read' },
    schema: {
      tags: ['conventions'], summary: 'Une version : son texte exact, son HTML et son empreinte SHA-256',
      security: [{ bearer: [] }], params: IdParams,
      response: { 200: Full, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
    },
  }, async (request) => app.tx(request, (trx) => getConvention(trx, request.principal!, request.params.id)))

  // ---- Signing, the receipt and the countersignature.
  app.post('/conventions/:id/signatures', {
    config: { access: 'convention.sign' },
    schema: {
      tags: ['conventions'], summary: 'Signe, pour son organisme, la version en vigueur de la convention (administrateur d’organisme) : nom, qualité, consentement et mot de passe',
      security: [{ bearer: [] }], params: IdParams,
      body: Type.Object({
        signerName: Type.String({ minLength: 1, maxLength: 200 }), capacity: Type.String({ minLength: 1, maxLength: 300, description: 'La qualité du signataire, par exemple « Directrice de la CAF du Cher »' }),
        consent: Type.Boolean({ description: 'true : le signataire accepte la convention au nom de son organisme' }), password: Type.String({ minLength: 1, maxLength: 256 }),
      }, { additionalProperties: false }),
      response: {
        201: Type.Object({ id: Type.String(), sha256: Type.String({ description: 'SHA-256 du reçu PDF' }), documentSha256: Type.String({ description: 'SHA-256 du texte signé' }), signedAt: DateTime }),
        ...errorResponses,
      },
    },
  }, async (request, reply) => {
    const s = await app.tx(request, (trx) => signConvention(trx, request.principal!, request.params.id, request.body, { ip: request.ip, userAgent: String(request.headers['user-agent'] ?? ''), now: app.clock() }))
    return reply.code(201).send({ id: s.id, sha256: s.receiptSha256, documentSha256: s.documentSha256, signedAt: s.signedAt })
  })

  app.get('/signatures/:id/receipt.pdf', {
    config: { access: 'convention.receipt', afterLookup: true },
    schema: {
      tags: ['conventions'], summary: 'Le reçu PDF d’une signature, tel qu’il a été remis au signataire', security: [{ bearer: [] }], params: IdParams,
      response: { 200: { description: 'Le reçu PDF', content: { 'application/pdf': { schema: Type.Any({ description: 'Le reçu PDF (octets)' }) } } }, ...errorResponses },
    },
  }, async (request, reply) => {
    const { signature, pdf } = await app.tx(request, (trx) => signatureReceipt(trx, request.principal!, request.params.id))
    return reply.type('application/pdf').header('content-disposition', `attachment; filename="recu-signature-${signature.id.slice(0, 8)}.pdf"`).header('x-receipt-sha256', signature.receiptSha256).send(pdf as unknown as string)
  })

  app.post('/organisations/:id/countersign', {
    config: { access: 'convention.countersign' },
    schema: {
      tags: ['conventions'], summary: 'Contresigne la signature de la convention en vigueur (mission TIC) : l’organisme devient actif et reçoit des saisines',
      security: [{ bearer: [] }], params: IdParams,
      response: { 200: Type.Object({ organisationId: Type.String(), status: Type.Literal('active'), signatureId: Type.String(), countersignedAt: DateTime }), ...errorResponses },
    },
  }, async (request) => app.tx(request, (trx) => countersign(trx, request.principal!, request.params.id, app.clock())))

  app.get('/organisations/:id/onboarding', {
    config: { access: 'onboarding.read', afterLookup: true },
    schema: {
      tags: ['conventions'], summary: 'Où en est l’adhésion d’un organisme : convention en vigueur, signature, contresignature, personnes, thèmes et territoires couverts',
      security: [{ bearer: [] }], params: IdParams,
      response: { 200: Type.Object({
        organisation: Type.Object({ id: Type.String(), name: Type.String(), status: Type.String() }),
        convention: Type.Union([Type.Object({ id: Type.String(), title: Type.String(), version: Type.Integer() }), Type.Null()]),
        signature: Type.Union([Type.Object({ id: Type.String(), signerName: Type.String(), capacity: Type.String(), signedAt: DateTime, countersignedAt: Type.Union([DateTime, Type.Null()]) }), Type.Null()]),
        people: Type.Array(Type.Object({ name: Type.String(), email: Type.String(), role: Type.String(), invited: Type.Boolean() })),
        covers: Type.Array(Type.Object({ theme: Type.String(), territory: Type.String(), how: Type.String() })),
        done: Type.Object({ signed: Type.Boolean(), countersigned: Type.Boolean(), invited: Type.Boolean(), covers: Type.Boolean() }),
      }), ...errorResponses },
    },
  }, async (request) => app.tx(request, (trx) => onboardingChecklist(trx, request.principal!, request.params.id, app.clock())))

  // ---- The register and the verification of a receipt (mission TIC).
  const RegisterRow = Type.Object({
    organisation: Type.Object({ id: Type.String(), name: Type.String(), kind: Kind, status: Type.String() }),
    convention: Type.Union([Type.Object({ id: Type.String(), title: Type.String(), version: Type.Integer(), signBy: Type.Union([DateTime, Type.Null()]) }), Type.Null()]),
    state: Type.Enum(['countersigned', 'signed', 'pending', 'late', 'no_convention']),
    signature: Type.Union([Type.Object({ id: Type.String(), signerName: Type.String(), capacity: Type.String(), signedAt: DateTime, countersignedAt: Type.Union([DateTime, Type.Null()]), receiptSha256: Type.String() }), Type.Null()]),
  })
  app.get('/conventions/register', {
    config: { access: 'convention.register' },
    schema: {
      tags: ['conventions'], summary: 'Le registre : chaque organisme face à la version en vigueur de sa convention (signée par qui, en quelle qualité, quand ; contresignée ; à signer)',
      security: [{ bearer: [] }], response: { 200: Type.Object({ items: Type.Array(RegisterRow) }), ...errorResponses },
    },
  }, async (request) => ({ items: await app.tx(request, (trx) => conventionRegister(trx, request.principal!, app.clock())) }))

  app.get('/conventions/register.csv', {
    config: { access: 'convention.register' },
    schema: {
      tags: ['conventions'], summary: 'Le registre des conventions en CSV (séparateur ;)', security: [{ bearer: [] }],
      response: { 200: { description: REGISTER_CSV_COLUMNS.join(';'), content: { 'text/csv': { schema: Type.String() } } }, 401: ErrorBody, 403: ErrorBody },
    },
  }, async (request, reply) => {
    const rows = await app.tx(request, (trx) => conventionRegister(trx, request.principal!, app.clock()))
    return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="registre-conventions.csv"').send(registerCsv(rows))
  })

  // A receipt is sent as its PDF (application/pdf) or as {sha256}.
  app.addContentTypeParser('application/pdf', { parseAs: 'buffer', bodyLimit: 20 * 1024 * 1024 }, (_req, body, done) => done(null, body))
  app.post('/signatures/verify', {
    config: { access: 'convention.verify' },
    schema: {
      tags: ['conventions'], summary: 'Vérifie un reçu de signature : son PDF (application/pdf) ou son empreinte SHA-256 ({"sha256": …}) ; dit à quelle signature il correspond, ou qu’il ne correspond à aucune',
      security: [{ bearer: [] }],
      body: { content: { 'application/json': { schema: Type.Object({ sha256: Type.String({ maxLength: 200 }) }, { additionalProperties: false }) }, 'application/pdf': { schema: Type.Any({ description: 'Le reçu PDF (octets)' }) } } },
      response: {
        200: Type.Object({
          sha256: Type.String(), match: Type.Boolean(),
          signature: Type.Optional(Type.Object({ id: Type.String(), organisation: Type.String(), signerName: Type.String(), capacity: Type.String(), signedAt: DateTime, title: Type.String(), version: Type.Integer(), documentSha256: Type.String() })),
        }),
        ...errorResponses,
      },
    },
  }, async (request) => {
    const body = request.body as unknown
    const input = Buffer.isBuffer(body) ? { pdf: body } : { sha256: String((body as { sha256?: unknown } | null)?.sha256 ?? '') }
    return app.tx(request, (trx) => verifyReceipt(trx, request.principal!, input))
  })
}
