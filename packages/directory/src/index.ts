// Use cases of the directory (organisations, people, themes, routing rules, coverage), shared by the API and the pages.
export * from './profile.ts'
