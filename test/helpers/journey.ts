import type { FastifyInstance } from 'fastify'

/** Logs in through the API and returns the Authorization header for that person. */
export async function bearer(app: FastifyInstance, email: string, password = 'relais-demo'): Promise<{ authorization: string }> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress: `10.9.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}` })
  if (res.statusCode !== 200) throw new Error(`login ${email}: ${res.statusCode} ${res.body}`)
  return { authorization: `Bearer ${res.json().accessToken}` }
}

/** A clock tests move by hand. */
export function manualClock(start: string | Date) {
  let now = new Date(start).getTime()
  return {
    now: () => new Date(now),
    set: (at: string | Date) => { now = new Date(at).getTime() },
    advanceMinutes: (m: number) => { now += m * 60_000 },
  }
}

export const sampleReferral = {
  themeCode: 'aides-caf',
  question: 'Madame Durand, 34 ans, deux enfants, demande si elle peut bénéficier de l’allocation de soutien familial depuis sa séparation en mars.',
  citizen: { name: 'Jeanne Durand', email: 'jeanne.durand@example.org', phone: '02 54 00 00 00', preferredChannel: 'email' as const },
}
