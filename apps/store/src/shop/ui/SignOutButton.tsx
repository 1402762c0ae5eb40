'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { useTracking } from '../tracking-bridge';
import { callApi } from './api';
import { useHydrated } from './useHydrated';

export function SignOutButton() {
  const tracking = useTracking();
  const router = useRouter();
  const hydrated = useHydrated();
  const [busy, setBusy] = useState(false);
  return (
    <button
      type="button"
      className="link-button"
      disabled={busy || !hydrated}
      onClick={async () => {
        setBusy(true);
        await callApi('DELETE', '/api/session');
        tracking.signOut();
        setBusy(false);
        router.refresh();
      }}
    >
      Sign out
    </button>
  );
}
