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

/**
 * The chart's vega-lite spec WITHOUT its figures: they come as the named data sets `table` (label, value, series,
 * highlight, in display order: `sort: null` keeps it) and `rule`. One spec per shape (kind, titles, percent), so its
 * compiled and parsed dataflow is built once and only the data changes from one request to the next.
 */
function specOf(c: Shape): TopLevelSpec {
  const yAxis = { title: c.yTitle, ...(c.percent ? { format: '.0%' } : { tickMinStep: 1, format: 'd' }) }
  const base = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json', width: 560, height: 220, background: 'white',
    config: { aria: false, font: FONT, axis: { labelFontSize: 11, titleFontSize: 12, labelColor: '#161616', titleColor: '#161616' }, legend: { labelFontSize: 12, titleFontSize: 12 }, view: { stroke: null } },
    data: { name: 'table' },
  }
  const rule = [{ mark: { type: 'rule' as const, color: '#161616', strokeDash: [4, 3], strokeWidth: 1.5 }, data: { name: 'rule' }, encoding: c.kind === 'horizontal-bars' ? { x: { field: 'value', type: 'quantitative' as const } } : { y: { field: 'value', type: 'quantitative' as const } } }]
  switch (c.kind) {
    case 'grouped-bars':
      return { ...base, mark: { type: 'bar' }, encoding: {
        x: { field: 'label', type: 'ordinal', sort: null, title: c.xTitle, axis: { labelAngle: -40 } },
        xOffset: { field: 'series', sort: null },
        y: { field: 'value', type: 'quantitative', axis: yAxis },
        color: { field: 'series', type: 'nominal', sort: null, title: null, scale: { range: [BLUE, LIGHT_BLUE] }, legend: { orient: 'top' } },
      } } as TopLevelSpec
    case 'bars':
      return { ...base, mark: { type: 'bar', color: BLUE }, encoding: {
        x: { field: 'label', type: 'ordinal', sort: null, title: c.xTitle, axis: { labelAngle: 0 } },
        y: { field: 'value', type: 'quantitative', axis: yAxis },
      } } as TopLevelSpec
    case 'line':
      return { ...base, layer: [
        { mark: { type: 'line', color: BLUE, point: { color: BLUE, size: 50 } }, encoding: {
          x: { field: 'label', type: 'ordinal', sort: null, title: c.xTitle, axis: { labelAngle: -40 } },
          y: { field: 'value', type: 'quantitative', axis: yAxis, scale: c.percent ? { domain: [0, 1] } : {} },
        } },
        ...rule,
      ] } as TopLevelSpec
    case 'horizontal-bars':
      return { ...base, height: { step: 24 }, layer: [
        { mark: { type: 'bar' }, encoding: {
          y: { field: 'label', type: 'nominal', sort: null, title: c.yTitle, axis: { labelLimit: 260 } },
          x: { field: 'value', type: 'quantitative', title: c.xTitle, axis: c.percent ? { format: '.0%' } : {}, scale: c.percent ? { domain: [0, 1] } : {} },
          color: { field: 'highlight', type: 'nominal', scale: { domain: [false, true], range: [BLUE, RED] }, legend: null },
        } },
        ...rule,
      ] } as TopLevelSpec
  }
}

type Shape = Pick<ChartSpec, 'kind' | 'xTitle' | 'yTitle' | 'percent'>

/**
 * One vega View per chart shape, kept: building the dataflow (vega-lite compile, vega parse, a new View) cost about
 * seven times as much as changing its data and drawing again (test/bench/stats.ts measures it). A View is not
 * re-entrant, so each one draws one chart at a time (a promise chain per shape).
 */
/** What the charts cost since the process started (the bench reports it): views built, charts drawn, cache hits. */
export const chartCounters = { views: 0, draws: 0, hits: 0 }

const views = new Map<string, { view: vega.View; queue: Promise<unknown> }>()

function drawer(shape: Shape) {
  const key = JSON.stringify([shape.kind, shape.xTitle, shape.yTitle, !!shape.percent])
  let entry = views.get(key)
  if (!entry) {
    if (views.size > 100) { for (const v of views.values()) v.view.finalize(); views.clear() }
    chartCounters.views++
    views.set(key, (entry = { view: new vega.View(vega.parse(compile(specOf(shape)).spec), { renderer: 'none' }), queue: Promise.resolve() }))
  }
  return entry
}

/** Charts drawn for the same figures are kept too (a page reloaded draws nothing). */
const cache = new Map<string, string>()

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')

/**
 * The chart as an SVG string: one image (role img, named by its title) whose inner marks are hidden from assistive
 * technologies; the same data goes in the page's table. Renders are kept by their spec: the same figures draw once.
 */
export async function renderChart(c: ChartSpec): Promise<string> {
  const key = JSON.stringify(c)
  const hit = cache.get(key)
  if (hit) { chartCounters.hits++; return hit }
  const entry = drawer(c)
  const table = c.data.map((d) => ({ ...d, value: d.value ?? 0 }))
  const rule = c.rule ? [{ value: c.rule.value }] : []
  const drawn = entry.queue.then(async () => {
    entry.view.data('table', table)
    if (c.kind === 'line' || c.kind === 'horizontal-bars') entry.view.data('rule', rule)
    await entry.view.runAsync()
    return entry.view.toSVG()
  })
  entry.queue = drawn.catch(() => undefined)
  chartCounters.draws++
  let svg = await drawn
  svg = svg
    .replace(/ (role|aria-roledescription|aria-label)="[^"]*"/g, '')
    .replace(/^<svg /, `<svg role="img" aria-label="${escapeAttr(c.title)}" focusable="false" `)
    .replace(/ width="(\d+)" height="(\d+)"/, ' width="$1" height="$2" preserveAspectRatio="xMinYMin meet"')
  if (cache.size > 500) cache.clear()
  cache.set(key, svg)
  return svg
}
