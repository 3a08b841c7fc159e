/**
 * Node identity: an Ed25519 libp2p key, from a key file, a data dir, bytes, or generated for this run.
 * Key files are JSON (format below), written with mode 0600; they never belong in git.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf, publicKeyFromProtobuf, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { base58btc } from 'multiformats/bases/base58'
import { KeyFileError } from '../errors.js'
import type { PrivateKey, PublicKey } from '@libp2p/interface'

/** On-disk form of a key, as `netget keygen` writes it. */
export interface KeyFile {
  type: 'netget-key'
  version: 1
  keyType: 'Ed25519'
  /** base64 of the protobuf-encoded private key (@libp2p/crypto privateKeyToProtobuf). */
  privateKey: string
  /** The public key as `formatPublicKey` prints it. */
  publicKey: string
  peerId: string
}

export const IDENTITY_FILE = 'identity.key'

/** A public key as one line of text: multibase base58btc of its protobuf encoding ("z…"). */
export function formatPublicKey (key: PublicKey): string {
  return base58btc.encode(publicKeyToProtobuf(key))
}

/** Parses what `formatPublicKey` printed. */
export function parsePublicKey (text: string): PublicKey {
  try {
    return publicKeyFromProtobuf(base58btc.decode(text.trim()))
  } catch (err) {
    throw new KeyFileError(`not a netget public key (expected "z…" as keygen prints it): ${(err as Error).message}`, { cause: err })
  }
}

export function encodeKeyFile (key: PrivateKey): string {
  const file: KeyFile = {
    type: 'netget-key',
    version: 1,
    keyType: 'Ed25519',
    privateKey: Buffer.from(privateKeyToProtobuf(key)).toString('base64'),
    publicKey: formatPublicKey(key.publicKey),
    peerId: peerIdFromPrivateKey(key).toString()
  }
  return JSON.stringify(file, null, 2) + '\n'
}

export function decodeKeyFile (text: string, source: string): PrivateKey {
  let file: Partial<KeyFile>
  try {
    file = JSON.parse(text)
  } catch (err) {
    throw new KeyFileError(`${source} is not a netget key file (not JSON)`, { cause: err })
  }
  if (file?.type !== 'netget-key' || file.version !== 1 || typeof file.privateKey !== 'string') {
    throw new KeyFileError(`${source} is not a netget key file (written by "netget keygen")`)
  }
  let key: PrivateKey
  try {
    key = privateKeyFromProtobuf(Buffer.from(file.privateKey, 'base64'))
  } catch (err) {
    throw new KeyFileError(`${source} holds a key that does not decode: ${(err as Error).message}`, { cause: err })
  }
  if (key.type !== 'Ed25519') {
    throw new KeyFileError(`${source} holds a ${key.type} key; netget uses Ed25519`)
  }
  return key
}

export async function generateKey (): Promise<PrivateKey> {
  return generateKeyPair('Ed25519')
}

/** Writes a new key file with mode 0600; refuses to overwrite an existing file. */
export async function writeNewKeyFile (path: string): Promise<PrivateKey> {
  const key = await generateKey()
  try {
    await writeFile(path, encodeKeyFile(key), { mode: 0o600, flag: 'wx' })
  } catch (err) {
    throw new KeyFileError(`cannot write ${path}: ${(err as Error).message}`, { cause: err })
  }
  await chmod(path, 0o600)
  return key
}

export async function readKeyFile (path: string): Promise<PrivateKey> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new KeyFileError(`cannot read key file ${path}: ${(err as Error).message}`, { cause: err })
  }
  return decodeKeyFile(text, path)
}

/** The identity kept in a data dir: read it, or create it on first use. */
export async function loadOrCreateDataDirKey (dataDir: string): Promise<PrivateKey> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const path = join(dataDir, IDENTITY_FILE)
  try {
    return await readKeyFile(path)
  } catch (err) {
    if ((err as { cause?: NodeJS.ErrnoException }).cause?.code !== 'ENOENT') throw err
  }
  try {
    return await writeNewKeyFile(path)
  } catch (err) {
    // Another process created it between our read and write: use theirs.
    if ((err as { cause?: NodeJS.ErrnoException }).cause?.code === 'EEXIST') return readKeyFile(path)
    throw err
  }
}
