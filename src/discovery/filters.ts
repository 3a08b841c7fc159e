/**
 * Filters on discovery and watch: `tags` (every one given is in `metadata.tags`), `metadata` (the given fields
 * equal, compared as JSON values) and `version` (a semver range that `metadata.version` satisfies). An instance
 * whose metadata lacks a field, or whose version is not semver, does not match.
 */
import { isDeepStrictEqual } from 'node:util'
import semver from 'semver'
import { InvalidOptionError } from '../errors.js'
import type { ServiceInstance } from '../records/instance.js'

export interface InstanceFilter {
  /** Tags that must all be in the instance's `metadata.tags` (an array of strings). */
  tags?: string[]
  /** Metadata fields that must be equal (JSON values, compared deeply). */
  metadata?: Record<string, unknown>
  /** A semver range (`^2.1.0`, `>=1.4 <3`) that `metadata.version` must satisfy. Prereleases match only when the range names one. */
  version?: string
}

/** A checked filter, ready to test instances. */
export type InstanceMatcher = (instance: Pick<ServiceInstance, 'metadata'>) => boolean

const MATCH_ALL: InstanceMatcher = () => true

/** Checks a filter given to discovery or watch; throws InvalidOptionError naming the bad field. */
export function compileFilter (filter: InstanceFilter = {}): InstanceMatcher {
  const { tags, metadata, version } = filter
  if (tags === undefined && metadata === undefined && version === undefined) return MATCH_ALL
  if (tags !== undefined && (!Array.isArray(tags) || !tags.every(t => typeof t === 'string'))) {
    throw new InvalidOptionError('tags', 'expected an array of strings')
  }
  if (metadata !== undefined && (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata))) {
    throw new InvalidOptionError('metadata', 'expected an object of fields to match')
  }
  let range: semver.Range | undefined
  if (version !== undefined) {
    if (typeof version !== 'string') throw new InvalidOptionError('version', 'expected a semver range string')
    try {
      range = new semver.Range(version)
    } catch {
      throw new InvalidOptionError('version', `not a semver range: ${JSON.stringify(version)}`)
    }
  }
  const fields = metadata === undefined ? [] : Object.entries(metadata)
  return instance => {
    const m = instance.metadata
    if (tags !== undefined && tags.length > 0) {
      const held = m.tags
      if (!Array.isArray(held) || !tags.every(t => held.includes(t))) return false
    }
    for (const [key, value] of fields) {
      if (!Object.hasOwn(m, key) || !isDeepStrictEqual(m[key], value)) return false
    }
    if (range !== undefined) {
      const v = m.version
      if (typeof v !== 'string' || semver.valid(v) === null || !range.test(v)) return false
    }
    return true
  }
}

/** The filter fields of an options object (discover, watch, pick), without the rest. */
export function filterOf (options: InstanceFilter): InstanceFilter {
  return {
    ...(options.tags !== undefined ? { tags: options.tags } : {}),
    ...(options.metadata !== undefined ? { metadata: options.metadata } : {}),
    ...(options.version !== undefined ? { version: options.version } : {})
  }
}
