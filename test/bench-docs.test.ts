/**
 * docs/performance.md shows the latest `npm run bench` through a block generated from bench/results/latest.json
 * (bench/docs.ts): the page and the results file must not drift apart.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { renderBenchDocs, replaceBlock } from '../bench/docs.js'

const root = new URL('../', import.meta.url)

describe('docs/performance.md and the bench results', () => {
  it('the generated block is the one bench/results/latest.json gives', () => {
    const doc = readFileSync(new URL('docs/performance.md', root), 'utf8')
    const latest = JSON.parse(readFileSync(new URL('bench/results/latest.json', root), 'utf8')) as Parameters<typeof renderBenchDocs>[0]
    assert.equal(latest.meta.quick === true, false, 'latest.json is a BENCH_QUICK run: run `npm run bench` (or restore the file)')
    const block = renderBenchDocs(latest)
    assert.equal(replaceBlock(doc, block), doc, 'the block differs from the results: run `npx tsx bench/docs.ts`')
  })

  it('replaceBlock refuses a page without the markers', () => {
    assert.throws(() => replaceBlock('# no markers', 'x'), /no <!-- bench:latest:begin -->/)
  })
})
