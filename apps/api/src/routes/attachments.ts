// Attachments (issue 15): upload (multipart, read as it streams, with limits) and download. Filing and the actions
// that carry a text then name the files by id (attachmentIds).
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import fastifyMultipart from '@fastify/multipart'
import Type from 'typebox'
import { noFileGiven, UnsupportedType } from '@relais/core'
import { readAttachment, storeAttachments, type IncomingFile } from '@relais/referrals'
import { ErrorBody, IdParams, Uuid, errorResponses } from '../schemas/common.ts'
import { AttachmentRef } from '../schemas/referrals.ts'
import { UPLOAD_OPTIONS, readUploads, sendAttachment, uploadLimitError } from '../plugins/uploads.ts'

const Stored = Type.Object({ items: Type.Array(AttachmentRef) })
const uploadResponses = { 201: Stored, ...errorResponses, 413: ErrorBody, 415: ErrorBody, 422: ErrorBody }
const UPLOAD_DESCRIPTION = 'multipart/form-data, un ou plusieurs fichiers (champ libre, par exemple « file ») : PDF, images (PNG, JPEG, GIF, WebP, HEIC), documents Word, Excel ou OpenDocument ; le type est reconnu au contenu, jamais au nom. Au plus 10 fichiers, 10 Mo chacun, 30 Mo par saisine. Réponse : les pièces jointes, à nommer ensuite (attachmentIds) au dépôt de la saisine ou dans une réponse, une demande ou un apport de complément. 413 trop volumineux, 415 type refusé, 422 fichier vide ou absent.'

export async function attachmentRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  // Only the content type parser here: each route reads its parts itself, as they stream.
  await app.register(fastifyMultipart, { limits: UPLOAD_OPTIONS.limits })

  async function files(request: FastifyRequest): Promise<IncomingFile[]> {
    if (!request.isMultipart()) throw new UnsupportedType('multipart_expected', 'Envoyez les fichiers en multipart/form-data.')
    try {
      const { files } = await readUploads(request.parts(UPLOAD_OPTIONS))
      if (!files.length) throw noFileGiven()
      return files
    } catch (err) {
      throw uploadLimitError(err) ?? err
    }
  }

  app.post('/attachments', {
    config: { access: 'referral.file' },
    schema: { tags: ['saisines'], summary: 'Déposer des pièces jointes avant de déposer la saisine (secrétariat de mairie)', description: UPLOAD_DESCRIPTION, consumes: ['multipart/form-data'], security: [{ bearer: [] }], response: uploadResponses },
  }, async (request, reply) => {
    const incoming = await files(request)
    const items = await app.tx(request, (trx) => storeAttachments(trx, request.principal!, {}, incoming, app.clock()))
    return reply.code(201).send({ items })
  })

  app.post('/referrals/:id/attachments', {
    config: { access: 'attachment.add', afterLookup: true },
    schema: { tags: ['saisines'], summary: 'Déposer des pièces jointes pour une saisine (à rattacher ensuite à une réponse ou un complément)', description: UPLOAD_DESCRIPTION, consumes: ['multipart/form-data'], security: [{ bearer: [] }], params: IdParams, response: uploadResponses },
  }, async (request, reply) => {
    // The referral first (404 out of reach, before reading any byte of the files); it is checked again when storing.
    await app.tx(request, (trx) => storeAttachments(trx, request.principal!, { referralId: request.params.id }, [], app.clock()))
    const incoming = await files(request)
    const items = await app.tx(request, (trx) => storeAttachments(trx, request.principal!, { referralId: request.params.id }, incoming, app.clock()))
    return reply.code(201).send({ items })
  })

  app.get('/referrals/:id/attachments/:attachmentId', {
    config: { access: 'attachment.read' },
    schema: {
      tags: ['saisines'], summary: 'Télécharger une pièce jointe (Content-Disposition: attachment)', security: [{ bearer: [] }],
      params: Type.Object({ id: Uuid, attachmentId: Uuid }),
      response: { 200: Type.Unsafe({ type: 'string', format: 'binary' }), ...errorResponses },
    },
  }, async (request, reply) => {
    const a = await app.tx(request, (trx) => readAttachment(trx, request.principal!, request.params.id, request.params.attachmentId, app.clock()))
    return sendAttachment(reply, a)
  })
}
