// Chromium for the browser tests (Debian's, never downloaded), the app on a real port, and axe-core on a page.
// The file closes the browser first in its teardown (an open page may hold a stream the app's close waits for).
import t from 'tap'
import { existsSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core'
import axe from 'axe-core'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    t.fail(`Chromium introuvable à ${CHROMIUM} : installez-le (apt-get install -y chromium) ou indiquez CHROMIUM_PATH.`)
    process.exit(1)
  }
  return chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}

/** The app listening on a free local port; its base URL. */
export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
}

/** axe-core's WCAG 2.1 A and AA violations on the page, one line each (none: []). */
export async function axeViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, not as an inline <script>: the page's policy forbids those.
  await page.evaluate(axe.source)
  // A string: the test is compiled without the DOM's types.
  const result = await page.evaluate(`axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })`) as axe.AxeResults
  if (!result.passes.length) throw new Error('axe-core did not run any rule')
  return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`)
}

/**
 * A page logged in through the login form and sent on to `retour`, with what went wrong in it (script errors,
 * 5xx answers) for the test to assert on.
 */
export async function loggedIn(browser: Browser, base: string, email: string, retour: string, options: BrowserContextOptions = {}) {
  const context = await browser.newContext(options)
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('response', (r) => { if (r.status() >= 500) errors.push(`${r.status()} ${r.url()}`) })
  await page.goto(`${base}/connexion?retour=${encodeURIComponent(retour)}`)
  await page.fill('#email', email)
  await page.fill('#password', 'relais-demo')
  await Promise.all([page.waitForURL((u) => u.pathname === retour.split('?')[0]), page.click('button[type=submit]')])
  return { page, errors, close: () => context.close() }
}
