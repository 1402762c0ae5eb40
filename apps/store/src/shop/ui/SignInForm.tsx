'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { useTracking } from '../tracking-bridge';
import { callApi } from './api';
import { useHydrated } from './useHydrated';

interface SignInFormProps {
  readonly users: readonly { readonly id: string; readonly name: string }[];
  /** Where to go after signing in (a path on this site). */
  readonly next: string;
}

/** Demo sign-in: pick a demo shopper, password "demo". */
export function SignInForm({ users, next }: SignInFormProps) {
  const tracking = useTracking();
  const router = useRouter();
  const [userId, setUserId] = useState(users[0]?.id ?? '');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const hydrated = useHydrated();
  const [busy, setBusy] = useState(false);

  async function signIn() {
    setBusy(true);
    setError('');
    const result = await callApi<{ user: { id: string } }>('POST', '/api/session', { userId, password });
    if (!result.ok) {
      setBusy(false);
      setError(result.status === 401 ? 'That password is not right: the demo password is "demo".' : result.message);
      return;
    }
    tracking.signIn(result.data.user.id);
    router.push(next);
    router.refresh();
  }

  return (
    <form
      className="sign-in"
      onSubmit={(event) => {
        event.preventDefault();
        void signIn();
      }}
    >
      <div className="field">
        <label htmlFor="sign-in-user">Demo shopper</label>
        <select id="sign-in-user" name="userId" value={userId} onChange={(event) => setUserId(event.target.value)}>
          {users.map((user) => (
            <option key={user.id} value={user.id}>
              {user.name}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="sign-in-password">Password</label>
        <input
          id="sign-in-password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          aria-describedby="sign-in-hint"
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
        <p id="sign-in-hint" className="hint">
          Every demo shopper's password is <code>demo</code>.
        </p>
      </div>
      <p role="alert" className="message error">
        {error}
      </p>
      <button type="submit" className="button" disabled={busy || !hydrated}>
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}
