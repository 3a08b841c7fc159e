/** Plain-text tables for terminals. A cell may hold several lines (e.g. one address per line). */

/** Lines of a table with a header row; columns are padded to their widest line, separated by two spaces. */
export function formatTable (headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const splitRows = [headers, ...rows].map(row => headers.map((_, i) => (row[i] ?? '').split('\n')))
  const widths = headers.map((_, i) => Math.max(...splitRows.map(row => Math.max(...row[i].map(line => line.length)))))
  const lines: string[] = []
  for (const row of splitRows) {
    const height = Math.max(...row.map(cell => cell.length))
    for (let l = 0; l < height; l++) {
      lines.push(row.map((cell, i) => (cell[l] ?? '').padEnd(widths[i])).join('  ').trimEnd())
    }
  }
  return lines
}
