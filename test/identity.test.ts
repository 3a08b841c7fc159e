import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { KeyFileError, Netget, formatPublicKey, parsePublicKey, readKeyFile, writeNewKeyFile } from '../src/index.js'

describe('identity', () => {
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'netget-identity-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('writes a key file with mode 0600, reads it back, refuses to overwrite it', async () => {
    const path = join(dir, 'node.key')
    const key = await writeNewKeyFile(path)
    assert.equal((await stat(path)).mode & 0o777, 0o600)
    const read = await readKeyFile(path)
    assert.equal(peerIdFromPrivateKey(read).toString(), peerIdFromPrivateKey(key).toString())
    await assert.rejects(writeNewKeyFile(path), KeyFileError)
    assert.equal(parsePublicKey(formatPublicKey(key.publicKey)).equals(key.publicKey), true)
  })

  it('refuses a file that is not a key file with a clear error', async () => {
    const path = join(dir, 'junk.key')
    await writeFile(path, 'hello')
    await assert.rejects(readKeyFile(path), KeyFileError)
    await assert.rejects(readKeyFile(join(dir, 'missing.key')), KeyFileError)
  })

  it('keeps the same peer id across restarts with keyFile or dataDir', async () => {
    const keyFile = join(dir, 'service.key')
    await writeNewKeyFile(keyFile)
    const expected = JSON.parse(await readFile(keyFile, 'utf8')).peerId
    for (const options of [{ keyFile }, { keyFile }, { dataDir: join(dir, 'data') }, { dataDir: join(dir, 'data') }]) {
      const node = new Netget({ ...options, listen: ['/ip4/127.0.0.1/tcp/0'] })
      await node.start()
      const peerId = node.peerId
      await node.stop()
      if ('keyFile' in options) assert.equal(peerId, expected)
      else assert.equal(peerId, JSON.parse(await readFile(join(dir, 'data', 'identity.key'), 'utf8')).peerId)
    }
  })
})
