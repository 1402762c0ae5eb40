/** Demo shoppers. There are no real accounts: every demo user signs in with DEMO_PASSWORD. */

export interface DemoUser {
  /** Also the Snowplow user id (≤ 128 chars). */
  readonly id: string;
  readonly name: string;
  readonly email: string;
}

export const DEMO_PASSWORD = 'demo';

export const DEMO_USERS: readonly DemoUser[] = [
  { id: 'ada', name: 'Ada Lovelace', email: 'ada@example.com' },
  { id: 'grace', name: 'Grace Hopper', email: 'grace@example.com' },
  { id: 'alan', name: 'Alan Turing', email: 'alan@example.com' },
];

export function getDemoUser(id: string): DemoUser | undefined {
  return DEMO_USERS.find((user) => user.id === id);
}

/** The demo user these credentials name, or undefined (wrong user or password). */
export function checkCredentials(userId: unknown, password: unknown): DemoUser | undefined {
  if (typeof userId !== 'string' || password !== DEMO_PASSWORD) return undefined;
  return getDemoUser(userId);
}
