// Use cases of the directory (organisations, people, themes, routing rules, coverage), shared by the API and the pages.
export * from './profile.ts'
export * from './common.ts'
export * from './organisations.ts'
export * from './people.ts'
export * from './themes.ts'
export * from './assignments.ts'
export * from './audit.ts'
export * from './invitations.ts'
