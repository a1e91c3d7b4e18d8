/**
 * The development IdP's users: fixed, well-known test accounts, so that a newcomer can sign in at once and tests
 * can assert exact attribute values. Nothing here is a real credential.
 */
import { timingSafeEqual } from 'node:crypto';

/** One test account of the development IdP and the attributes it asserts. */
export interface DevIdpUser {
  username: string;
  password: string;
  email: string;
  firstName: string;
  lastName: string;
  groups: string[];
}

/**
 * The default test accounts. Alice is in two groups so that every sign-in exercises a multi-valued attribute.
 *
 * @example
 * ```ts
 * const alice = DEV_IDP_USERS.find((u) => u.username === 'alice'); // password 'alice-pass'
 * ```
 */
export const DEV_IDP_USERS: readonly DevIdpUser[] = Object.freeze([
  Object.freeze({
    username: 'alice',
    password: 'alice-pass',
    email: 'alice@example.com',
    firstName: 'Alice',
    lastName: 'Liddell',
    groups: ['engineering', 'admins'],
  }),
  Object.freeze({
    username: 'bob',
    password: 'bob-pass',
    email: 'bob@example.com',
    firstName: 'Bob',
    lastName: 'Builder',
    groups: ['sales'],
  }),
]);

/** The user with this username, if any. */
export function findUser(users: readonly DevIdpUser[], username: string): DevIdpUser | undefined {
  return users.find((u) => u.username === username);
}

/**
 * The user whose username and password both match, else undefined. The password comparison runs in constant time
 * even here: the dev IdP is a model people copy from.
 */
export function checkCredentials(
  users: readonly DevIdpUser[],
  username: string,
  password: string,
): DevIdpUser | undefined {
  const user = findUser(users, username);
  if (!user) return undefined;
  const given = Buffer.from(password, 'utf8');
  const expected = Buffer.from(user.password, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected) ? user : undefined;
}
