/**
 * The status page at `/` of the HTTP API: what this registry is and holds, as plain server-rendered HTML (no
 * script, no external resource), cheap to render and readable in any browser or with `curl`. Every text from the
 * network (names, metadata, addresses, reasons) is HTML-escaped.
 */
import type { Netget } from '../netget.js'

export function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
}

const STYLE = 'body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}' +
  'td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}th{background:#f4f4f4}' +
  // Peer ids and multiaddrs are long unbroken words: they wrap inside their cell rather than widen the table past the window.
  'code{font-size:12px;overflow-wrap:anywhere}' +
  '.down{color:#b00}.passing{color:#070}.suspect{color:#a60}'

export function renderStatusPage (node: Netget): string {
  const stats = node.getStats()
  const records = node.listRecords()
  const byName = new Map<string, typeof records>()
  for (const record of records) byName.set(record.name, [...(byName.get(record.name) ?? []), record])
  const row = (cells: string[]): string => `<tr>${cells.map(c => `<td>${c}</td>`).join('')}</tr>`
  const services = [...byName.entries()].sort(([a], [b]) => a < b ? -1 : 1).map(([name, instances]) => {
    const rows = instances.map(i => {
      const status = i.down ? 'down' : i.health.status
      const meta = Object.entries(i.metadata).filter(([k]) => k !== 'name').map(([k, v]) => `${escapeHtml(k)}=${escapeHtml(typeof v === 'string' ? v : JSON.stringify(v))}`).join('<br>')
      return row([`<code>${escapeHtml(i.peerId)}</code>`, `<span class="${escapeHtml(status)}">${escapeHtml(status)}</span>`, meta, i.addresses.map(a => `<code>${escapeHtml(a)}</code>`).join('<br>'), new Date(i.expiresAt).toISOString()])
    }).join('')
    return `<h3>${escapeHtml(name)} (${instances.length})</h3><table><tr><th>peer</th><th>health</th><th>metadata</th><th>addresses</th><th>lease ends</th></tr>${rows}</table>`
  }).join('')
  const counters = [
    ['records held', stats.records], ['known registries', stats.knownRegistries], ['verified registries', stats.verifiedRegistries],
    ['records stored', stats.stored], ['discoveries answered', stats.discoversAnswered], ['rate limited', stats.rateLimited], ['lookups', stats.lookups], ['requests', stats.requests],
    ['replicated', stats.replicated], ['refused peers', stats.refusedPeers]
  ].map(([k, v]) => row([String(k), String(v)])).join('')
  return '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">' +
    `<title>netget ${escapeHtml(node.network)}</title><style>${STYLE}</style></head><body>` +
    `<h1>netget ${escapeHtml(node.nodeType)} on network ${escapeHtml(node.network)}</h1>` +
    `<p>peer <code>${escapeHtml(node.peerId)}</code></p><ul>${node.getMultiaddrs().map(a => `<li><code>${escapeHtml(a)}</code></li>`).join('')}</ul>` +
    `<h2>Counters</h2><table>${counters}</table>` +
    `<h2>Services held here (${byName.size})</h2>${services === '' ? '<p>none</p>' : services}` +
    '<p>JSON: <a href="/v1/services">/v1/services</a>, <a href="/v1/health">/v1/health</a>, <a href="/metrics">/metrics</a></p></body></html>'
}
