import t from 'tap'
import { REDACTED, redactCitizen, titleFromQuestion } from './knowledge.ts'

t.test('the citizen’s name, email and phone leave the text however they are written', async (t) => {
  const citizen = { name: 'Mme Louise Pétit-Durand', email: 'louise.petit@example.org', phone: '06 12 34 56 78' }
  const text = [
    'Bonjour, Mme Louise PETIT-DURAND (louise.petit@example.org, 06.12.34.56.78) demande si sa fille a droit à l’APL.',
    'Madame Petit peut rappeler au +33 6 12 34 56 78 ou écrire à LOUISE.PETIT@EXAMPLE.ORG ; louise a un studio.',
    'La CAF répond au 3230 et à contact@caf36.fr ; Durand le 0612345678.',
  ].join('\n')
  const { text: out, removed } = redactCitizen(text, citizen)
  t.notMatch(out, /louise|petit|pétit|durand/i, 'no word of the name')
  t.notMatch(out, /example\.org/i, 'no email')
  t.notMatch(out, /12.?34.?56.?78/, 'no phone in any form')
  t.match(out, /Mme \[usager\] \(\[courriel de l’usager\], \[téléphone de l’usager\]\)/, 'first and last name read as one person')
  t.match(out, /3230/, 'other numbers stay')
  t.match(out, /contact@caf36\.fr/, 'the organisation’s address stays')
  t.match(out, /Madame \[usager\]/)
  t.ok(removed >= 8, `${removed} mentions removed`)
  t.equal(redactCitizen('Rien à retirer.', citizen).removed, 0)
  t.equal(redactCitizen('M. Le Du', { name: 'M. Le Du' }).text, 'M. Le Du', 'civilities and particles alone are not a name')
  t.ok(REDACTED.name)
})

t.test('a long question becomes a title cut at a word', async (t) => {
  t.equal(titleFromQuestion('  Carte grise\n après  déménagement ? '), 'Carte grise après déménagement ?')
  const long = titleFromQuestion('mot '.repeat(80))
  t.ok(long.length <= 151 && long.endsWith('…'))
})
