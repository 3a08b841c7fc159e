import assert from 'node:assert/strict'
import { readFile, readdir } from 'node:fs/promises'
import { describe, it } from 'node:test'
import * as netget from '../src/index.js'

/** Every .ts file under `dir`, concatenated. */
async function sourceText (dir: URL): Promise<string> {
  const files = await readdir(dir, { recursive: true })
  const texts = await Promise.all(files.filter(f => f.endsWith('.ts')).map(async f => readFile(new URL(f, dir), 'utf8')))
  return texts.join('\n')
}

const classes = Object.entries(netget).filter(([, value]) => typeof value === 'function' && value.prototype instanceof Error) as Array<[string, new (...args: never[]) => Error]>

describe('errors', () => {
  it('every error class and every code is documented in docs/errors.md', async () => {
    const doc = await readFile(new URL('../docs/errors.md', import.meta.url), 'utf8')
    assert.ok(classes.length >= 10)
    for (const [name] of classes) {
      if (name === 'NetgetError') continue
      assert.ok(doc.includes(`\`${name}\``), `${name} is not in docs/errors.md`)
    }
    for (const code of [...Object.values(netget.RecordErrorCodes), ...Object.values(netget.LimitErrorCodes)]) assert.ok(doc.includes(`\`${code}\``), `${code} is not in docs/errors.md`)
    const codes = doc.match(/`NETGET_ERR_[A-Z_]+`/g) ?? []
    assert.ok(codes.length > 0)
  })

  it('every code docs/errors.md documents is still one the code uses', async () => {
    const doc = await readFile(new URL('../docs/errors.md', import.meta.url), 'utf8')
    const source = await sourceText(new URL('../src/', import.meta.url))
    const gone = [...new Set(doc.match(/NETGET_ERR_[A-Z_]*[A-Z](?![A-Z_])/g) ?? [])].filter(code => !source.includes(`'${code}'`) && !source.includes(`\`${code}`))
    assert.deepEqual(gone, [], 'documented in docs/errors.md but used nowhere in src/')
  })

  it('every error has a stable NETGET_ERR_ code, a name, and is a NetgetError', () => {
    const samples: netget.NetgetError[] = [
      new netget.InvalidOptionError('x', 'y'), new netget.NoRegistryReachableError(), new netget.PublishFailedError('m', 0, {}),
      new netget.RecordValidationError(netget.RecordErrorCodes.EXPIRED, 'm'), new netget.ProtocolError('m'), new netget.TimeoutError('m'),
      new netget.AbortedError('m'), new netget.NotStartedError(), new netget.KeyFileError('m'), new netget.NotAServiceError('m'),
      new netget.StartError('m'), new netget.AdmissionError(netget.AdmissionErrorCodes.NAME, 'm'), new netget.LimitExceededError(netget.LimitErrorCodes.RATE, 'm'), new netget.NoInstanceError('m')
    ]
    assert.equal(samples.length, classes.length - 1)
    for (const err of samples) {
      assert.match(err.code, /^NETGET_ERR_[A-Z_]+$/)
      assert.ok(err instanceof netget.NetgetError)
      assert.ok(err instanceof Error)
      assert.notEqual(err.name, 'Error')
    }
    assert.ok(!(new Error('x') instanceof netget.NetgetError))
    assert.ok(!(new netget.TimeoutError('m') instanceof netget.AbortedError))
  })

  it('instanceof works across two loaded copies of netget, class by class', async () => {
    // The built package (dist/) is a second copy of every class beside the sources this test runs from.
    const other = await import(new URL('../dist/src/errors.js', import.meta.url).href) as typeof netget
    const ours = new Map(classes.filter(([name]) => name !== 'NetgetError'))
    const theirClasses = new Map(Object.entries(other) as Array<[string, unknown]>)
    const names = [...ours.keys()]
    for (const name of names) {
      const Theirs = theirClasses.get(name) as new (...args: unknown[]) => Error
      const Ours = ours.get(name) as new (...args: unknown[]) => Error
      assert.notEqual(Theirs, Ours, `${name}: the same class twice, not two copies`)
      const theirs = Reflect.construct(Theirs, name === 'InvalidOptionError' ? ['x', 'y'] : ['NETGET_ERR_X', 'm', 0, {}])
      assert.ok(theirs instanceof Ours, `${name} of the other copy is not an instance of ours`)
      assert.ok(theirs instanceof netget.NetgetError)
      assert.equal(theirs.name, name)
      for (const otherName of names) {
        if (otherName !== name) assert.ok(!(theirs instanceof (ours.get(otherName) as new () => Error)), `${name} taken for ${otherName}`)
      }
    }
    assert.ok(!({ name: 'TimeoutError' } instanceof netget.TimeoutError), 'a look-alike without the brand is not one')
    // A user's subclass matches its own instances only, not its parent's errors of either copy.
    class MyTimeout extends netget.TimeoutError {}
    assert.ok(!(new netget.TimeoutError('m') instanceof MyTimeout))
    assert.ok(!(Reflect.construct(theirClasses.get('TimeoutError') as new (m: string) => Error, ['m']) instanceof MyTimeout))
    assert.ok(new MyTimeout('m') instanceof netget.TimeoutError)
  })
})
