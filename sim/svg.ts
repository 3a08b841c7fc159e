/**
 * A hand-written SVG chart of a run: lookup latency percentiles (log scale, left axis) and lookup success
 * (right axis) per time bucket, with the phases drawn as bands (faults shaded). No dependencies.
 */
import type { Bucket } from './metrics.js'

export interface PhaseBand { name: string, start: number, end: number, fault: boolean }

const W = 960
const H = 440
const M = { left: 64, right: 64, top: 48, bottom: 56 }

function esc (text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

function polyline (points: Array<[number, number] | null>, colour: string, width: number, dash = ''): string {
  // A gap (an empty bucket) breaks the line rather than drawing a misleading segment across it.
  const runs: string[] = []
  let current: string[] = []
  for (const p of points) {
    if (p === null) {
      if (current.length > 0) runs.push(current.join(' '))
      current = []
    } else {
      current.push(`${p[0].toFixed(1)},${p[1].toFixed(1)}`)
    }
  }
  if (current.length > 0) runs.push(current.join(' '))
  return runs.map(r => r.includes(' ')
    ? `<polyline fill="none" stroke="${colour}" stroke-width="${width}"${dash === '' ? '' : ` stroke-dasharray="${dash}"`} points="${r}"/>`
    : `<circle cx="${r.split(',')[0]}" cy="${r.split(',')[1]}" r="${width}" fill="${colour}"/>`).join('\n')
}

export function renderChart (title: string, subtitle: string, buckets: readonly Bucket[], phases: readonly PhaseBand[], t0: number, t1: number, bucketMs: number): string {
  const plotW = W - M.left - M.right
  const plotH = H - M.top - M.bottom
  const span = Math.max(1, t1 - t0)
  const x = (t: number): number => M.left + (t - t0) / span * plotW
  const maxLatency = Math.max(10, ...buckets.map(b => b.latencyMs.p99))
  const decades = Math.max(1, Math.ceil(Math.log10(maxLatency)))
  // Log scale from 0.1 ms: a 1 ms answer and a 5 s timeout belong on the same chart.
  const yLat = (ms: number): number => M.top + plotH - (Math.log10(Math.max(0.1, ms)) + 1) / (decades + 1) * plotH
  const ySucc = (share: number): number => M.top + plotH - share * plotH
  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`)
  // A <title> names the chart for screen readers (and biome's a11y rule lints bench/results/*.svg).
  out.push(`<title>${esc(`${title}: ${subtitle}`)}</title>`)
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`)
  out.push(`<text x="${M.left}" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`)
  out.push(`<text x="${M.left}" y="36" fill="#555">${esc(subtitle)}</text>`)
  for (const p of phases) {
    const a = x(Math.max(t0, p.start))
    const b = x(Math.min(t1, p.end))
    if (b <= a) continue
    out.push(`<rect x="${a.toFixed(1)}" y="${M.top}" width="${(b - a).toFixed(1)}" height="${plotH}" fill="${p.fault ? '#f4cccc' : '#eeeeee'}" fill-opacity="${p.fault ? 0.7 : 0.5}"/>`)
    out.push(`<line x1="${a.toFixed(1)}" x2="${a.toFixed(1)}" y1="${M.top}" y2="${M.top + plotH}" stroke="#888" stroke-dasharray="2 2"/>`)
    out.push(`<text x="${(a + 4).toFixed(1)}" y="${M.top + 12}" fill="#333">${esc(p.name)}</text>`)
  }
  for (let d = -1; d <= decades; d++) {
    const y = yLat(10 ** d)
    out.push(`<line x1="${M.left}" x2="${M.left + plotW}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#ddd"/>`)
    out.push(`<text x="${M.left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${10 ** d >= 1000 ? `${10 ** d / 1000} s` : `${10 ** d} ms`}</text>`)
  }
  for (const s of [0, 0.25, 0.5, 0.75, 1]) {
    out.push(`<text x="${M.left + plotW + 6}" y="${(ySucc(s) + 4).toFixed(1)}" fill="#1a7f37">${s * 100}%</text>`)
  }
  const step = span > 300_000 ? 60_000 : span > 120_000 ? 30_000 : 10_000
  for (let t = 0; t <= span; t += step) {
    out.push(`<line x1="${x(t0 + t).toFixed(1)}" x2="${x(t0 + t).toFixed(1)}" y1="${M.top + plotH}" y2="${M.top + plotH + 4}" stroke="#333"/>`)
    out.push(`<text x="${x(t0 + t).toFixed(1)}" y="${M.top + plotH + 16}" text-anchor="middle">${t / 1000} s</text>`)
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`)
  const mid = (b: Bucket): number => x(b.start + bucketMs / 2)
  const series = (pick: (b: Bucket) => number): Array<[number, number] | null> => buckets.map(b => b.lookups === 0 ? null : [mid(b), yLat(pick(b))])
  out.push(polyline(series(b => b.latencyMs.p50), '#1f77b4', 1.5))
  out.push(polyline(series(b => b.latencyMs.p95), '#ff7f0e', 1.5))
  out.push(polyline(series(b => b.latencyMs.p99), '#d62728', 1.5))
  out.push(polyline(buckets.map(b => b.lookups === 0 ? null : [mid(b), ySucc(b.success)]), '#1a7f37', 2.5, '6 3'))
  const legend: Array<[string, string]> = [['#1f77b4', 'p50 latency'], ['#ff7f0e', 'p95'], ['#d62728', 'p99'], ['#1a7f37', 'lookup success (right axis)']]
  legend.forEach(([colour, label], i) => {
    const lx = M.left + i * 150
    out.push(`<line x1="${lx}" x2="${lx + 20}" y1="${H - 14}" y2="${H - 14}" stroke="${colour}" stroke-width="2.5"/>`)
    out.push(`<text x="${lx + 26}" y="${H - 10}">${esc(label)}</text>`)
  })
  out.push(`<text x="${M.left + plotW}" y="${H - 10}" text-anchor="end" fill="#555">${bucketMs / 1000} s buckets; shaded red: faults</text>`)
  out.push('</svg>')
  return out.join('\n') + '\n'
}
