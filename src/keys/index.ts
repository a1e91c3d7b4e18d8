/**
 * The SP key ring room: lifecycle (pure), lint (pure), key references and the KeyRing service. Other rooms
 * import from here.
 */

export { fileKeyResolver, type KeyOperations, type KeyResolver } from './key-refs.ts';
export {
  type ConnectionSpKeys,
  KeyRing,
  type KeyRingOptions,
  type SpKeyView,
} from './key-ring.ts';
export { type ConnectionKeys, KeyLifecycleError, keysForConnection } from './lifecycle.ts';
export { KEY_EXPIRY_WARNING_DAYS, lintKeys } from './lint.ts';
