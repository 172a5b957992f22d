/** A failure the user caused or may fix: mapped to one HTTP answer shape in one place (the API's error handler). */
export class AppError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
    public readonly details?: unknown,
  ) {
    super(message)
    this.name = 'AppError'
  }
}

export const notFound = (what = 'Cet élément') => new AppError(404, 'not_found', `${what} est introuvable.`)
export const forbidden = (message = 'Vous n’avez pas les droits nécessaires pour cette action.') => new AppError(403, 'forbidden', message)
export const conflict = (code: string, message: string, details?: unknown) => new AppError(409, code, message, details)
export const badRequest = (code: string, message: string, details?: unknown) => new AppError(400, code, message, details)
