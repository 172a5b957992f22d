import t from 'tap'
import { buildApp } from '@relais/api/app'
import { createTestEnv } from '../helpers/db.ts'
import { Visitor } from '../helpers/visitor.ts'

// After login, « retour » sends back only to a page of ours: never to another site, whatever the browser strips
// or decodes, and never a 500 for a character a header cannot carry.

const env = await createTestEnv({ PUBLIC_URL: 'https://relais.example.fr' })
const app = await buildApp(env.config, { logger: false })
t.teardown(async () => { await app.close(); await env.drop() })

const ours = (location: string) => new URL(location, env.config.PUBLIC_URL).origin === env.config.PUBLIC_URL && !/[\u0000-\u001f\u007f\\]/.test(location)

t.test('hostile « retour » values land on our own pages', async (t) => {
  const hostile = [
    '/\t/evil.example', '/\n/evil.example', '/\r/evil.example', '//evil.example', '/\\evil.example', '/\\/evil.example',
    'https://evil.example/', 'javascript:alert(1)', '/\t\t//evil.example/saisines', '/ /evil.example',
    '/\r\nSet-Cookie: relais_session=volé', '/saisines\nLocation: https://evil.example', '/\u0000/evil.example',
  ]
  const seen: string[] = []
  for (const retour of hostile) {
    const v = new Visitor(app)
    const res = await v.login('secretaire@ardentes.demo', 'relais-demo', retour)
    seen.push(`${JSON.stringify(retour)} → ${res.statusCode} ${res.headers.location ?? ''}`)
    if (retour.includes('\u0000')) {
      // A NUL byte is bad input in any field of any form (test/security/bad-input.test.ts): refused, sent nowhere.
      t.equal(res.statusCode, 400, `${JSON.stringify(retour)}: refused as bad input`)
      t.equal(res.headers.location, undefined, `${JSON.stringify(retour)}: no redirection at all`)
      continue
    }
    t.equal(res.statusCode, 303, `${JSON.stringify(retour)}: logged in, no error`)
    const location = String(res.headers.location ?? '')
    t.ok(ours(location), `${JSON.stringify(retour)}: back on our own site (${JSON.stringify(location)})`)
    // What a browser makes of it: the address it would load.
    t.equal(new URL(location, env.config.PUBLIC_URL).host, 'relais.example.fr', `${JSON.stringify(retour)}: the browser stays on relais.example.fr`)
  }
  t.comment(seen.join('\n'))
})

t.test('a page of ours is where the person goes back to', async (t) => {
  const v = new Visitor(app)
  const res = await v.login('secretaire@ardentes.demo', 'relais-demo', '/saisines?statut=ouverte#liste')
  t.equal(res.headers.location, '/saisines?statut=ouverte#liste')
})
