import { sha256 } from 'multiformats/hashes/sha2'

const encoder = new TextEncoder()

/**
 * The DHT key under which a service's records live: sha256("netget/v1/<network>/<name>").
 * The registries closest to it (XOR distance, Kademlia) hold the service's records.
 */
export async function serviceKey (network: string, name: string): Promise<Uint8Array> {
  const digest = await sha256.digest(encoder.encode(`netget/v1/${network}/${name}`))
  return digest.digest
}
