import type { FastifyInstance } from 'fastify'
import * as themes from '@relais/directory/themes'
import { Theme, ThemeCreate, ThemePatch, ThemeQuery } from '../../schemas/directory.ts'
import { resourceRoutes } from './resource.ts'

/** Themes: everyone logged in reads the active ones (to file a referral); the mission TIC sees and edits them all. */
export async function themeRoutes(app: FastifyInstance) {
  resourceRoutes(app, {
    path: '/themes',
    access: {
      list: { access: 'theme.read' }, get: { access: 'theme.read' }, create: { access: 'directory.write' },
      patch: { access: 'directory.write', afterLookup: true }, deactivate: { access: 'directory.write', afterLookup: true },
    },
    summaries: {
      list: 'Les thèmes du département',
      get: 'Un thème',
      create: 'Ajoute un thème (mission TIC)',
      patch: 'Modifie un thème (mission TIC)',
      deactivate: 'Désactive un thème (mission TIC) : il n’est plus proposé ; rien n’est effacé',
    },
    schemas: { row: Theme, query: ThemeQuery, create: ThemeCreate, patch: ThemePatch },
    cursor: (r) => [r.label, r.id], cursorArity: 2,
    list: themes.listThemes,
    get: themes.getTheme,
    create: themes.createTheme,
    update: themes.updateTheme,
    deactivate: themes.deactivateTheme,
  })
}
