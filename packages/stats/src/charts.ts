// Server-rendered SVG charts (vega-lite compiled to vega, rendered headless by vega's own SVG renderer): no JavaScript
// in the browser, no hand-drawn geometry. Each chart is an image with a text alternative; the page puts the same
// figures in a table beside it (RGAA 1.8: an equivalent for complex images).
import * as vega from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'

export interface ChartSpec {
  kind: 'bars' | 'grouped-bars' | 'line' | 'horizontal-bars'
  /** Said to screen readers (aria-label) and shown as the figure's caption by the page. */
  title: string
  xTitle: string
  yTitle: string
  /** label (x or y category), value; series for grouped bars; highlight to mark a bar (an organisation under the network). */
  data: { label: string; value: number | null; series?: string; highlight?: boolean }[]
  /** Values are shares (0..1), shown as percentages. */
  percent?: boolean
  /** A reference line (the network's compliance). */
  rule?: { value: number; label: string }
}

// DSFR blues and a warm red for highlights: each 3:1 at least against white (RGAA 3.3, non-text contrast).
const BLUE = '#000091'
const LIGHT_BLUE = '#6a6af4'
const RED = '#ce0500'
const FONT = 'Marianne, Arial, sans-serif'

const cache = new Map<string, string>()

function specOf(c: ChartSpec): TopLevelSpec {
  const values = c.data.map((d) => ({ ...d, value: d.value ?? 0 }))
  const order = [...new Set(values.map((d) => d.label))]
  const yAxis = { title: c.yTitle, ...(c.percent ? { format: '.0%' } : { tickMinStep: 1, format: 'd' }) }
  const base = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json', width: 560, height: 220, background: 'white',
    config: { aria: false, font: FONT, axis: { labelFontSize: 11, titleFontSize: 12, labelColor: '#161616', titleColor: '#161616' }, legend: { labelFontSize: 12, titleFontSize: 12 }, view: { stroke: null } },
    data: { values },
  }
  const rule = c.rule ? [{ mark: { type: 'rule' as const, color: '#161616', strokeDash: [4, 3], strokeWidth: 1.5 }, data: { values: [{ value: c.rule.value }] }, encoding: c.kind === 'horizontal-bars' ? { x: { field: 'value', type: 'quantitative' as const } } : { y: { field: 'value', type: 'quantitative' as const } } }] : []
  switch (c.kind) {
    case 'grouped-bars':
      return { ...base, mark: { type: 'bar' }, encoding: {
        x: { field: 'label', type: 'ordinal', sort: order, title: c.xTitle, axis: { labelAngle: -40 } },
        xOffset: { field: 'series' },
        y: { field: 'value', type: 'quantitative', axis: yAxis },
        color: { field: 'series', type: 'nominal', title: null, scale: { range: [BLUE, LIGHT_BLUE] }, legend: { orient: 'top' } },
      } } as TopLevelSpec
    case 'bars':
      return { ...base, mark: { type: 'bar', color: BLUE }, encoding: {
        x: { field: 'label', type: 'ordinal', sort: order, title: c.xTitle, axis: { labelAngle: 0 } },
        y: { field: 'value', type: 'quantitative', axis: yAxis },
      } } as TopLevelSpec
    case 'line':
      return { ...base, layer: [
        { mark: { type: 'line', color: BLUE, point: { color: BLUE, size: 50 } }, encoding: {
          x: { field: 'label', type: 'ordinal', sort: order, title: c.xTitle, axis: { labelAngle: -40 } },
          y: { field: 'value', type: 'quantitative', axis: yAxis, scale: c.percent ? { domain: [0, 1] } : {} },
        } },
        ...rule,
      ] } as TopLevelSpec
    case 'horizontal-bars':
      return { ...base, height: Math.max(60, 24 * order.length), layer: [
        { mark: { type: 'bar' }, encoding: {
          y: { field: 'label', type: 'nominal', sort: order, title: c.yTitle, axis: { labelLimit: 260 } },
          x: { field: 'value', type: 'quantitative', title: c.xTitle, axis: c.percent ? { format: '.0%' } : {}, scale: c.percent ? { domain: [0, 1] } : {} },
          color: { field: 'highlight', type: 'nominal', scale: { domain: [false, true], range: [BLUE, RED] }, legend: null },
        } },
        ...rule,
      ] } as TopLevelSpec
  }
}

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')

/**
 * The chart as an SVG string: one image (role img, named by its title) whose inner marks are hidden from assistive
 * technologies; the same data goes in the page's table. Renders are kept by their spec: the same figures draw once.
 */
export async function renderChart(c: ChartSpec): Promise<string> {
  const key = JSON.stringify(c)
  const hit = cache.get(key)
  if (hit) return hit
  const view = new vega.View(vega.parse(compile(specOf(c)).spec), { renderer: 'none' })
  let svg: string
  try { svg = await view.toSVG() } finally { view.finalize() }
  svg = svg
    .replace(/ (role|aria-roledescription|aria-label)="[^"]*"/g, '')
    .replace(/^<svg /, `<svg role="img" aria-label="${escapeAttr(c.title)}" focusable="false" `)
    .replace(/ width="(\d+)" height="(\d+)"/, ' width="$1" height="$2" preserveAspectRatio="xMinYMin meet"')
  if (cache.size > 500) cache.clear()
  cache.set(key, svg)
  return svg
}
