/**
 * Pre-shared keys for private networks (@libp2p/pnet): an outer layer that stops outsiders from completing
 * a connection at all. No rotation: changing the key means restarting every node with the new one.
 */
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { generateKey } from '@libp2p/pnet'
import { KeyFileError } from '../errors.js'

/** Length of a key file in the "/key/swarm/psk/1.0.0/" format (header + 64 hex characters). */
export const PSK_FILE_BYTES = 95
const PSK_FORMAT = /^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}$/

export function newPsk (): Uint8Array {
  const psk = new Uint8Array(PSK_FILE_BYTES)
  generateKey(psk)
  return psk
}

/** Writes a new PSK file with mode 0600; refuses to overwrite an existing file. */
export async function writeNewPskFile (path: string): Promise<void> {
  try {
    await writeFile(path, newPsk(), { mode: 0o600, flag: 'wx' })
  } catch (err) {
    throw new KeyFileError(`cannot write ${path}: ${(err as Error).message}`, { cause: err })
  }
  // The mode given to writeFile is filtered by the umask; the key must not be readable by others whatever it is.
  await chmod(path, 0o600)
}

/** Loads a PSK from a file path or takes its bytes; checks the format so a wrong file fails here, not at dial. */
export async function loadPsk (source: string | Uint8Array): Promise<Uint8Array> {
  let bytes: Uint8Array
  if (source instanceof Uint8Array) {
    bytes = source
  } else {
    try {
      bytes = new Uint8Array(await readFile(source))
    } catch (err) {
      throw new KeyFileError(`cannot read PSK file ${source}: ${(err as Error).message}`, { cause: err })
    }
  }
  const text = Buffer.from(bytes).toString('utf8').trim()
  if (!PSK_FORMAT.test(text)) {
    throw new KeyFileError(`${typeof source === 'string' ? source : 'psk'} is not a PSK ("/key/swarm/psk/1.0.0/" + base16, as "netget psk" writes)`)
  }
  return new TextEncoder().encode(text)
}
