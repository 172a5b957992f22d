import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { archiveFiche, createFiche, draftFicheFromAnswer, ficheHistory, ficheVersion, getFiche, listFiches, publishFiche, recordDeflection, searchFiches, updateFiche } from '@relais/knowledge'
import { IdParams, errorResponses } from '../schemas/common.ts'
import { Deflection, DeflectionBody, DraftFromAnswer, DraftFromAnswerBody, FicheBody, FicheDetail, FicheListItem, FicheListQuery, FichePatchBody, SearchQuery, SearchResult, VersionDetail, VersionList, VersionParams } from '../schemas/fiches.ts'
import Type from 'typebox'

// The knowledge base: fiches (drafts, immutable published versions), search, and the questions they answered.
export async function ficheRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const tags = ['fiches']
  const security = [{ bearer: [] }]

  app.get('/fiches/search', {
    config: { access: 'fiche.read' },
    schema: { tags, security, summary: 'Chercher dans les fiches publiées qui s’appliquent à la commune (mots en français, accents et fautes de frappe tolérés)', querystring: SearchQuery, response: { 200: SearchResult, ...errorResponses } },
  }, async (request) => {
    const { q, theme, organisationId, communeInsee, limit } = request.query
    return app.tx(request, (trx) => searchFiches(trx, request.principal!, { q, themeCode: theme, organisationId, communeInsee, limit, recordMiss: true }, app.clock()))
  })

  app.get('/fiches', {
    config: { access: 'fiche.read' },
    schema: { tags, security, summary: 'Les fiches publiées ; et les brouillons et archives de son organisme pour qui les rédige', querystring: FicheListQuery, response: { 200: Type.Object({ items: Type.Array(FicheListItem) }), ...errorResponses } },
  }, async (request) => app.tx(request, (trx) => listFiches(trx, request.principal!, request.query, app.clock())))

  app.post('/fiches', {
    config: { access: 'fiche.write' },
    schema: { tags, security, summary: 'Rédiger une fiche (créée en brouillon)', body: FicheBody, response: { 201: FicheDetail, ...errorResponses } },
  }, async (request, reply) => {
    const fiche = await app.tx(request, (trx) => createFiche(trx, request.principal!, request.body, app.clock()))
    return reply.code(201).send(fiche)
  })

  app.get('/fiches/:id', {
    config: { access: 'fiche.read' },
    schema: { tags, security, summary: 'Une fiche : la version publiée pour les lecteurs, la copie de travail pour qui la rédige', params: IdParams, response: { 200: FicheDetail, ...errorResponses } },
  }, async (request) => app.tx(request, (trx) => getFiche(trx, request.principal!, request.params.id, app.clock(), { countOpen: true })))

  app.patch('/fiches/:id', {
    config: { access: 'fiche.write', afterLookup: true },
    schema: { tags, security, summary: 'Modifier la copie de travail (les lecteurs voient la version publiée jusqu’à la prochaine publication)', params: IdParams, body: FichePatchBody, response: { 200: FicheDetail, ...errorResponses } },
  }, async (request) => app.tx(request, (trx) => updateFiche(trx, request.principal!, request.params.id, request.body, app.clock())))

  app.post('/fiches/:id/publish', {
    config: { access: 'fiche.write', afterLookup: true },
    schema: { tags, security, summary: 'Publier : une nouvelle version, qui ne change plus jamais', params: IdParams, response: { 200: FicheDetail, ...errorResponses } },
  }, async (request) => app.tx(request, (trx) => publishFiche(trx, request.principal!, request.params.id, app.clock())))

  app.post('/fiches/:id/archive', {
    config: { access: 'fiche.write', afterLookup: true },
    schema: { tags, security, summary: 'Archiver : la fiche sort de la recherche, ses versions restent', params: IdParams, response: { 200: FicheDetail, ...errorResponses } },
  }, async (request) => app.tx(request, (trx) => archiveFiche(trx, request.principal!, request.params.id, app.clock())))

  app.get('/fiches/:id/versions', {
    config: { access: 'fiche.read' },
    schema: { tags, security, summary: 'L’historique : qui a publié quoi et quand', params: IdParams, response: { 200: VersionList, ...errorResponses } },
  }, async (request) => app.tx(request, (trx) => ficheHistory(trx, request.principal!, request.params.id)))

  app.get('/fiches/:id/versions/:version', {
    config: { access: 'fiche.read' },
    schema: { tags, security, summary: 'Une version publiée, telle qu’elle a été publiée', params: VersionParams, response: { 200: VersionDetail, ...errorResponses } },
  }, async (request) => app.tx(request, (trx) => ficheVersion(trx, request.principal!, request.params.id, request.params.version)))

  app.post('/referrals/:id/fiche-draft', {
    config: { access: 'fiche.write', afterLookup: true },
    schema: { tags, security, summary: 'Faire d’une réponse un brouillon de fiche : sans le nom, le courriel ni le téléphone de l’usager, avec un avertissement à relire', params: IdParams, body: DraftFromAnswerBody, response: { 201: DraftFromAnswer, ...errorResponses } },
  }, async (request, reply) => {
    const draft = await app.tx(request, (trx) => draftFicheFromAnswer(trx, request.principal!, request.params.id, { answerSeq: request.body?.answerSeq }, app.clock()))
    return reply.code(201).send(draft)
  })

  app.post('/deflections', {
    config: { access: 'deflection.record' },
    schema: { tags, security, summary: '« Cette fiche répond à la question » : compté sans saisine (thème, commune, fiche ; rien sur le citoyen)', body: DeflectionBody, response: { 201: Deflection, ...errorResponses } },
  }, async (request, reply) => {
    const d = await app.tx(request, (trx) => recordDeflection(trx, request.principal!, request.body, app.clock()))
    return reply.code(201).send(d)
  })
}
