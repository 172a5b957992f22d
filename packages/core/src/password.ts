/**
 * The CNIL's recommendation (délibération 2022-100) for passwords used alone: about 80 bits of entropy, e.g.
 * at least 12 characters mixing upper case, lower case, digits and special characters; at least 14
 * characters mixing upper case, lower case and digits; or a passphrase of at least 7 words.
 */
export function passwordPolicyViolation(password: string): string | null {
  if (password.length > 256) return 'Le mot de passe ne doit pas dépasser 256 caractères.'
  const words = password.trim().split(/[\s\-_.,;:]+/u).filter((w) => w.length >= 2)
  if (words.length >= 7 && password.length >= 20) return null
  const classes = [/[a-z]/u, /[A-Z]/u, /[0-9]/u, /[^a-zA-Z0-9]/u].filter((re) => re.test(password)).length
  if (password.length >= 12 && classes === 4) return null
  if (password.length >= 14 && /[a-z]/u.test(password) && /[A-Z]/u.test(password) && /[0-9]/u.test(password)) return null
  return 'Le mot de passe doit compter au moins 12 caractères mêlant majuscules, minuscules, chiffres et caractères spéciaux, ou 14 caractères avec majuscules, minuscules et chiffres, ou être une phrase de passe d’au moins 7 mots.'
}

export const DEMO_PASSWORD = 'relais-demo'
