/**
 * Failures of the domain, typed by kind and free of HTTP: the apps map each kind to their own answer
 * (a status and JSON for the API, a French page for the extranet) in one place.
 * `code` is stable for programs; `message` is French for people; `details` says which field, when one is at fault.
 */
export abstract class DomainError extends Error {
  constructor(
    public readonly code: string,
    message: string,
    public readonly details?: unknown,
  ) {
    super(message)
    this.name = new.target.name
  }
}

/** The input is wrong: the caller can fix it. */
export class InvalidInput extends DomainError {}
/** Nobody is logged in, or the credentials or session are not (or no longer) valid. */
export class Unauthenticated extends DomainError {}
/** The person is known but may not do this. */
export class Forbidden extends DomainError {}
/** The object does not exist, or the person may not know that it does. */
export class NotFound extends DomainError {}
/** The object's state, or another object, stands in the way. */
export class Conflict extends DomainError {}
/** Too many attempts: wait before trying again. */
export class TooManyRequests extends DomainError {}
/** A dependency (database, queue) is down: try again shortly. */
export class Unavailable extends DomainError {}

export const notFound = (what = 'Cet élément') => new NotFound('not_found', `${what} est introuvable.`)
export const forbidden = (message = 'Vous n’avez pas les droits nécessaires pour cette action.') => new Forbidden('forbidden', message)
export const conflict = (code: string, message: string, details?: unknown) => new Conflict(code, message, details)
export const badRequest = (code: string, message: string, details?: unknown) => new InvalidInput(code, message, details)

/** The one wording of a form whose fields are wrong; details name each field. */
export const invalidFields = (details: { path: string; message: string }[]) =>
  new InvalidInput('validation_failed', 'Certaines informations sont invalides : corrigez les champs indiqués.', details)

/** A file or a set of files is over a size limit (413). */
export class TooLarge extends DomainError {}
/** The file's content is of a type that is not accepted (415). */
export class UnsupportedType extends DomainError {}
/** The request is well formed but cannot be applied as it is (422): e.g. an attachment id that is not one's to link. */
export class Unprocessable extends DomainError {}
