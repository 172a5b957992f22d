// Attachments in a real browser (issue 15): a secretary attaches a PDF on the filing form; the referent downloads it
// from the referral page and answers with a PNG; an executable named .pdf is refused next to the file field.
// axe-core (WCAG 2.1 A and AA) on each page.
import t from 'tap'
import { readFile, writeFile, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startApp } from '../helpers/network.ts'
import { axeViolations, launchChromium, listen, loggedIn } from '../helpers/browser.ts'
import { exeFile, pdfFile, pngFile } from '../helpers/files.ts'

const { app } = await startApp()
const base = await listen(app)
const browser = await launchChromium()
t.teardown(() => browser.close())

const dir = await mkdtemp(path.join(tmpdir(), 'relais-pj-'))
const pdf = await pdfFile('Notification de la CAF')
await writeFile(path.join(dir, 'Notification CAF.pdf'), pdf)
await writeFile(path.join(dir, 'Courrier scanné.png'), pngFile())
await writeFile(path.join(dir, 'facture.pdf'), exeFile())

t.test('a file attached on filing is downloaded from the referral page; an answer brings another', async (t) => {
  const s = await loggedIn(browser, base, 'secretaire@ardentes.demo', '/saisines/nouvelle')
  const secretary = s.page
  await secretary.getByLabel('Thème').selectOption('aides-caf')
  await secretary.getByLabel('Question de l’usager').fill('Madame Durand demande si la notification ci-jointe de la CAF est définitive.')
  await secretary.getByLabel('Nom et prénom').fill('Jeanne Durand')
  await secretary.getByLabel('Adresse électronique (facultatif)').fill('jeanne.durand@example.org')
  await secretary.getByLabel('Pièces jointes (facultatif)').setInputFiles(path.join(dir, 'Notification CAF.pdf'))
  t.same(await axeViolations(secretary), [], 'axe: the filing form with its file field')
  await secretary.getByRole('button', { name: 'Déposer la saisine' }).click()
  await secretary.getByText('La saisine a été déposée').waitFor()
  const referralPath = new URL(secretary.url()).pathname
  const link = secretary.locator('.timeline a', { hasText: 'Notification CAF.pdf' })
  t.equal(await link.count(), 1, 'the filing event lists its file')
  t.match(await secretary.locator('.timeline > li', { has: secretary.locator('a', { hasText: 'Notification CAF.pdf' }) }).textContent(), /PDF, 2 ko/)
  t.same(await axeViolations(secretary), [], 'axe: the referral page with its file')

  const r = await loggedIn(browser, base, 'referent@caf36.demo', referralPath)
  const referent = r.page
  const [download] = await Promise.all([referent.waitForEvent('download'), referent.locator('.timeline a', { hasText: 'Notification CAF.pdf' }).click()])
  t.equal(download.suggestedFilename(), 'Notification CAF.pdf')
  t.same(await readFile((await download.path())!), pdf, 'the referent downloads the very bytes filed')

  // An executable named .pdf: refused next to the field, the answer not sent, the text kept.
  await referent.getByLabel('Votre réponse (envoyée à la mairie)').fill('La notification est définitive ; voici le courrier type.')
  await referent.locator('#answer-fichiers').setInputFiles(path.join(dir, 'facture.pdf'))
  await referent.getByRole('button', { name: 'Répondre' }).click()
  const field = referent.locator('.field', { has: referent.locator('#answer-fichiers') })
  t.match(await field.locator('.field-error').textContent(), /« facture\.pdf » n’est pas d’un type accepté/, 'the refusal sits next to the file field')
  t.equal(await referent.locator('#answer-fichiers').getAttribute('aria-invalid'), 'true')
  t.equal(await referent.locator('#answer-body').inputValue(), 'La notification est définitive ; voici le courrier type.', 'the text is kept')
  t.same(await axeViolations(referent), [], 'axe: the refused file')

  await referent.locator('#answer-fichiers').setInputFiles(path.join(dir, 'Courrier scanné.png'))
  await referent.getByRole('button', { name: 'Répondre' }).click()
  await referent.getByText('Votre réponse a été envoyée à la mairie.').waitFor()
  t.equal(await referent.locator('.answer a', { hasText: 'Courrier scanné.png' }).count(), 1, 'the answer lists its file')

  await secretary.reload()
  const [png] = await Promise.all([secretary.waitForEvent('download'), secretary.locator('.answer a', { hasText: 'Courrier scanné.png' }).click()])
  t.same(await readFile((await png.path())!), pngFile(), 'the mairie downloads the answer’s file')
  t.same([...s.errors, ...r.errors], [], 'no page error')
  await s.close()
  await r.close()
})
