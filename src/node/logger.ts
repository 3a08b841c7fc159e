/**
 * The component logger netget gives libp2p. libp2p's default one builds two `debug` instances, a trace logger and
 * closures for every component and scope it is asked for, enabled or not, and it is asked per connection, per
 * stream and per identify run: ≈ 10 KiB of heap per connection that nobody reads (measured: 780 idle connections,
 * 56.8 → 46.3 KiB of heap in use each; docs/upstream.md, item 7). This one hands out libp2p's logger only for the
 * names that `DEBUG` enables, and a small silent one for the others, so `DEBUG=libp2p:*` still shows everything.
 */
import { defaultLogger, enabled } from '@libp2p/logger'
import type { ComponentLogger, Logger } from '@libp2p/interface'

const noop = (): void => {}

function isEnabled (name: string): boolean {
  return enabled(name) || enabled(`${name}:error`) || enabled(`${name}:trace`)
}

function silent (name: string, base: ComponentLogger): Logger {
  const log = noop as unknown as Logger
  // A fresh function per name: newScope must know its name, since `DEBUG` may enable a scope below a silent one.
  const scoped: Logger = Object.assign((() => {}) as unknown as Logger, {
    enabled: false,
    error: log,
    trace: log,
    newScope: (scope: string): Logger => forName(`${name}:${scope}`, base)
  })
  return scoped
}

function forName (name: string, base: ComponentLogger): Logger {
  return isEnabled(name) ? base.forComponent(name) : silent(name, base)
}

/** A ComponentLogger that costs nothing for the components `DEBUG` leaves off. */
export function quietLogger (base: ComponentLogger = defaultLogger()): ComponentLogger {
  return { forComponent: (name: string) => forName(name, base) }
}
