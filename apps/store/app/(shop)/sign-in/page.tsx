import type { Metadata } from 'next';
import { currentUser } from '../../../src/server/shopper';
import { DEMO_USERS } from '../../../src/server/users';
import { SignInForm } from '../../../src/shop/ui/SignInForm';

export const metadata: Metadata = { title: 'Sign in' };

interface Props {
  readonly searchParams: Promise<{ next?: string | string[] }>;
}

/** A path on this site only (no `//host` or `https://…`), so `?next=` cannot send shoppers elsewhere. */
function safeNext(next: string | string[] | undefined): string {
  const value = Array.isArray(next) ? next[0] : next;
  return value?.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\') ? value : '/';
}

export default async function SignInPage({ searchParams }: Props) {
  const [user, { next }] = await Promise.all([currentUser(), searchParams]);
  return (
    <>
      <h1>Sign in</h1>
      {user ? <p>You are signed in as {user.name}.</p> : null}
      <SignInForm users={DEMO_USERS.map(({ id, name }) => ({ id, name }))} next={safeNext(next)} />
    </>
  );
}
