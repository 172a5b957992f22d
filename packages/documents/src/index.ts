export * from './pdf.js'
