// A tiny cookie-keeping client over app.inject: what a browser without JavaScript does (cookies, the form's CSRF token).
import type { FastifyInstance } from 'fastify'

let ipCounter = 0

export class Visitor {
  cookies: Record<string, string> = {}
  csrf = ''
  readonly ip = `10.99.${Math.floor(ipCounter / 250)}.${ipCounter++ % 250}`
  constructor(private readonly app: FastifyInstance) {}
  private keep(res: Awaited<ReturnType<FastifyInstance['inject']>>) {
    for (const c of res.cookies) {
      if (c.value === '' || (c.expires && new Date(c.expires).getTime() < Date.now())) delete this.cookies[c.name]
      else this.cookies[c.name] = c.value
    }
    const m = /name="_csrf" value="([^"]+)"/.exec(res.body)
    if (m) this.csrf = m[1]
    return res
  }
  async get(url: string) {
    return this.keep(await this.app.inject({ method: 'GET', url, cookies: this.cookies, remoteAddress: this.ip }))
  }
  /** A form as fields, or as pairs when a name repeats (checkboxes). */
  async post(url: string, form: Record<string, string> | [string, string][], opts: { csrf?: string | null } = {}) {
    const fields = new URLSearchParams(Array.isArray(form) ? form : Object.entries(form))
    if (opts.csrf !== null) fields.set('_csrf', opts.csrf ?? this.csrf)
    return this.keep(await this.app.inject({
      method: 'POST', url, cookies: this.cookies, remoteAddress: this.ip,
      headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: fields.toString(),
    }))
  }
  async login(email: string, password = 'relais-demo', retour?: string) {
    await this.get(`/connexion${retour ? `?retour=${encodeURIComponent(retour)}` : ''}`)
    return this.post('/connexion', { email, password, ...(retour ? { retour } : {}) })
  }
  /** A visitor logged in as that person (the demo password), or an error saying why not. */
  static async as(app: FastifyInstance, email: string) {
    const v = new Visitor(app)
    const res = await v.login(email)
    if (res.statusCode !== 303) throw new Error(`login ${email}: ${res.statusCode}`)
    return v
  }
}
