/**
 * One connection gater from several: netget's admission guard and the user's own `connectionGater`.
 */
import type { ConnectionGater } from '@libp2p/interface'

/** A peer or connection is refused when any of the gaters refuses it (admission guard first, then the user's). */
export function combineGaters (...gaters: Array<ConnectionGater | undefined>): ConnectionGater {
  const present = gaters.filter((g): g is ConnectionGater => g !== undefined)
  if (present.length === 1) return present[0]
  const hooks = ['denyDialPeer', 'denyDialMultiaddr', 'denyInboundConnection', 'denyOutboundConnection', 'denyInboundEncryptedConnection',
    'denyOutboundEncryptedConnection', 'denyInboundUpgradedConnection', 'denyOutboundUpgradedConnection', 'filterMultiaddrForPeer'] as const
  const combined: ConnectionGater = {}
  for (const hook of hooks) {
    if (!present.some(g => g[hook] !== undefined)) continue
    const invert = hook === 'filterMultiaddrForPeer'
    combined[hook] = (async (...args: unknown[]) => {
      for (const gater of present) {
        const fn = gater[hook] as ((...a: unknown[]) => boolean | Promise<boolean>) | undefined
        if (fn === undefined) continue
        const verdict = await fn.apply(gater, args)
        // filterMultiaddrForPeer answers "keep", the deny* hooks answer "refuse".
        if (invert ? verdict === false : verdict === true) return !invert
      }
      return invert
    }) as never
  }
  return combined
}
