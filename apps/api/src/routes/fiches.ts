import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { archiveFiche, createFiche, draftFicheFromAnswer, exportFiches, ficheHistory, importFiches, ficheVersion, getFiche, listFiches, publishFiche, recordDeflection, searchFiches, updateFiche } from '@relais/knowledge'
import { IdParams, errorResponses } from '../schemas/common.ts'
import { BundleExportQuery, BundleImportQuery, BundleImported, Deflection, DeflectionBody, DraftFromAnswer, DraftFromAnswerBody, FicheBody, FicheDetail, FicheListItem, FicheListQuery, FichePatchBody, SearchQuery, SearchResult, VersionDetail, VersionList, VersionParams } from '../schemas/fiches.ts'
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

  app.get('/fiches/export', {
    config: { access: 'fiche.bundle' },
    schema: { tags, security, summary: 'Exporter les fiches (hors archivées) : JSON, ou zip de fichiers Markdown avec en-tête YAML. Mission TIC : tout le réseau ou un organisme ; administrateur : son organisme', querystring: BundleExportQuery, response: { ...errorResponses } },
  }, async (request, reply) => {
    const out = await app.tx(request, (trx) => exportFiches(trx, request.principal!, { organisationId: request.query.organisationId, format: request.query.format ?? 'json' }, app.clock()))
    return reply.header('content-type', out.contentType).header('content-disposition', `attachment; filename="${out.filename}"`).send((typeof out.content === 'string' ? Buffer.from(out.content, 'utf8') : Buffer.from(out.content)) as never)
  })

  // The bundle travels as the file itself (JSON, zip or Markdown), read as bytes in this scope only.
  await app.register(async (scope) => {
    scope.removeContentTypeParser('application/json')
    scope.addContentTypeParser(['application/json', 'application/zip', 'application/octet-stream', 'text/markdown', 'text/plain'], { parseAs: 'buffer', bodyLimit: 25 * 1024 * 1024 }, (_req, body, done) => done(null, body))
    scope.withTypeProvider<TypeBoxTypeProvider>().post('/fiches/import', {
      config: { access: 'fiche.bundle' },
      bodyLimit: 25 * 1024 * 1024,
      schema: {
        tags, security, querystring: BundleImportQuery, response: { 200: BundleImported, ...errorResponses },
        summary: 'Importer des fiches (le fichier en corps : application/json, application/zip ou text/markdown). Tout est vérifié d’abord : une entrée refusée et rien n’est importé ; chaque refus est nommé avec sa place (details)',
      },
    }, async (request) => {
      const bytes = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
      return app.tx(request, (trx) => importFiches(trx, request.principal!, bytes, { organisationId: request.query.organisationId, publish: request.query.publish }, app.clock()))
    })
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
    config: { access: 'fiche.from_answer', afterLookup: true },
    schema: { tags, security, summary: 'Faire d’une réponse un brouillon de fiche : sans le nom, le courriel ni le téléphone de l’usager, avec un avertissement à relire', params: IdParams, body: DraftFromAnswerBody, response: { 201: DraftFromAnswer, ...errorResponses } },
  }, async (request, reply) => {
    const draft = await app.tx(request, (trx) => draftFicheFromAnswer(trx, request.principal!, request.params.id, { answerSeq: request.body?.answerSeq }, app.clock()))
    return reply.code(201).send(draft)
  })

  app.post('/deflections', {
    config: { access: 'deflection.record' },
    schema: { tags, security, summary: '« Cette fiche répond à la question » : compté sans saisine (thème, commune, fiche ; rien sur l’usager)', body: DeflectionBody, response: { 201: Deflection, ...errorResponses } },
  }, async (request, reply) => {
    const d = await app.tx(request, (trx) => recordDeflection(trx, request.principal!, request.body, app.clock()))
    return reply.code(201).send(d)
  })
}
