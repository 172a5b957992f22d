import t from 'tap'
import { backlogOf, monthsBetween, nearestRank, previousPeriod } from './stats.ts'

t.test('nearest-rank percentiles are values that occurred', async (t) => {
  t.equal(nearestRank([], 0.5), null)
  t.equal(nearestRank([10], 0.9), 10)
  t.equal(nearestRank([1, 2, 3, 4], 0.5), 2)
  t.equal(nearestRank([1, 2, 3, 4], 0.9), 4)
  t.equal(nearestRank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9), 9)
})

t.test('months in the tenant’s zone, empty ones included; the previous period', async (t) => {
  // 31 December 23:30 UTC is already January in Paris.
  t.same(monthsBetween(new Date('2026-10-31T23:30:00Z'), new Date('2027-01-01T00:00:00Z'), 'Europe/Paris'), ['2026-11', '2026-12', '2027-01'])
  t.same(monthsBetween(new Date('2026-03-01T00:00:00Z'), new Date('2026-03-02T00:00:00Z'), 'Europe/Paris'), ['2026-03'])
  t.same(previousPeriod(new Date('2026-03-01T00:00:00Z'), new Date('2026-03-11T00:00:00Z')), { from: new Date('2026-02-19T00:00:00Z'), to: new Date('2026-03-01T00:00:00Z') })
})

t.test('backlog buckets by age', async (t) => {
  const now = new Date('2026-03-31T12:00:00Z')
  const at = (days: number) => ({ holderOrganisationId: 'h', mairieOrganisationId: 'm', themeId: 't', communeInsee: '36005', epciCode: null, clockStartedAt: new Date(now.getTime() - days * 86400_000) })
  t.same(backlogOf([at(0.5), at(1), at(2.9), at(3), at(29), at(30), at(400)], now).map((b) => b.count), [1, 2, 1, 1, 2])
})
